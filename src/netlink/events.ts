// Notifications from rtnetlink multicast groups, decoded into one tagged union.
import { RTM } from './constants.js';
import { Address, decodeAddress } from './address.js';
import { decodeLink, Link } from './link.js';
import type { NetlinkMessage } from './message.js';
import { decodeNeighbour, Neighbour } from './neighbour.js';
import { decodeRoute, Route } from './route.js';
import { decodeRule, Rule } from './rule.js';

export type ChangeAction = 'new' | 'delete';

export type RtnlEvent =
  | { kind: 'link'; action: ChangeAction; link: Link }
  | { kind: 'address'; action: ChangeAction; address: Address }
  | { kind: 'route'; action: ChangeAction; route: Route }
  | { kind: 'rule'; action: ChangeAction; rule: Rule }
  | { kind: 'neighbour'; action: ChangeAction; neighbour: Neighbour };

/** The event a notification describes; undefined for types and families not covered. */
export function decodeEvent(message: NetlinkMessage): RtnlEvent | undefined {
  const p = message.payload;
  switch (message.type) {
    case RTM.NEWLINK:
    case RTM.DELLINK:
      return { kind: 'link', action: message.type === RTM.NEWLINK ? 'new' : 'delete', link: decodeLink(p) };
    case RTM.NEWADDR:
    case RTM.DELADDR: {
      const address = decodeAddress(p);
      return address && { kind: 'address', action: message.type === RTM.NEWADDR ? 'new' : 'delete', address };
    }
    case RTM.NEWROUTE:
    case RTM.DELROUTE: {
      const route = decodeRoute(p);
      return route && { kind: 'route', action: message.type === RTM.NEWROUTE ? 'new' : 'delete', route };
    }
    case RTM.NEWRULE:
    case RTM.DELRULE: {
      const rule = decodeRule(p);
      return rule && { kind: 'rule', action: message.type === RTM.NEWRULE ? 'new' : 'delete', rule };
    }
    case RTM.NEWNEIGH:
    case RTM.DELNEIGH: {
      const neighbour = decodeNeighbour(p);
      return neighbour && { kind: 'neighbour', action: message.type === RTM.NEWNEIGH ? 'new' : 'delete', neighbour };
    }
    default:
      return undefined;
  }
}
