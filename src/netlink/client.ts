// The rtnetlink client: typed operations on links, addresses, routes, rules and neighbours,
// the subset `ip` offers that wg-quick and route mode need. Devices may be named or indexed;
// names are resolved with RTM_GETLINK first.
import type { IpAddress, IpFamily, IpPrefix } from '../net/ip.js';
import { NLM_F, NUD, RTM } from './constants.js';
import { Address, addressBody, addressDumpBody, decodeAddress } from './address.js';
import { ConnectionOptions, NetlinkConnection } from './connection.js';
import { decodeLink, Link, linkDeleteBody, linkDumpBody, linkGetBody, LinkSettings, linkSetBody } from './link.js';
import { NetlinkError, NetlinkMessage } from './message.js';
import { decodeNeighbour, Neighbour, neighbourBody, neighbourDumpBody, NeighbourSpec } from './neighbour.js';
import { decodeRoute, NextHop, Route, routeBody, routeDumpBody, routeGetBody, RouteLookupOptions, RouteSpec } from './route.js';
import { decodeRule, Rule, ruleBody, ruleDumpBody, RuleSpec } from './rule.js';

/** A device by index or by name. */
export type LinkRef = number | string;

export interface AddressOptions {
  /** IPv6: no duplicate address detection. */
  nodad?: boolean;
  noprefixroute?: boolean;
  scope?: number;
}

export type NextHopInput = NextHop & { dev?: LinkRef };
/** A route to add, replace or delete; `dev` is resolved to `index`. */
export type RouteInput = Omit<RouteSpec, 'multipath'> & { dev?: LinkRef; multipath?: NextHopInput[] };
export type NeighbourInput = Omit<NeighbourSpec, 'index'> & { dev: LinkRef };

export interface RouteFilter {
  family?: IpFamily;
  /** Only this table; every table when omitted. */
  table?: number;
  dev?: LinkRef;
}

function decodeAll<T>(messages: NetlinkMessage[], type: number, decode: (p: Uint8Array) => T | undefined): T[] {
  const out: T[] = [];
  for (const m of messages) {
    if (m.type !== type) continue;
    const item = decode(m.payload);
    if (item !== undefined) out.push(item);
  }
  return out;
}

function checkIndex(index: number): number {
  if (!Number.isInteger(index) || index < 1 || index > 0x7fffffff) throw new RangeError(`invalid interface index ${index}`);
  return index;
}

export class RtnlClient {
  private readonly conn: NetlinkConnection;

  constructor(options: ConnectionOptions = {}) {
    this.conn = new NetlinkConnection(options);
  }

  close(): void {
    this.conn.close();
  }

  // Links

  async listLinks(): Promise<Link[]> {
    return decodeAll(await this.conn.dump(RTM.GETLINK, linkDumpBody), RTM.NEWLINK, decodeLink);
  }

  /** Rejects with ENODEV when there is no such link. */
  async getLink(ref: LinkRef): Promise<Link> {
    const sel = typeof ref === 'number' ? { index: checkIndex(ref) } : { name: checkName(ref) };
    const [link] = decodeAll(await this.conn.request(RTM.GETLINK, 0, linkGetBody(sel)), RTM.NEWLINK, decodeLink);
    if (!link) throw new Error(`netlink: no RTM_NEWLINK reply for ${String(ref)}`);
    return link;
  }

  async linkIndex(ref: LinkRef): Promise<number> {
    return typeof ref === 'number' ? checkIndex(ref) : (await this.getLink(ref)).index;
  }

  /** `ip link set dev X [mtu N] [up|down]`. */
  async setLink(ref: LinkRef, settings: LinkSettings): Promise<void> {
    if (settings.mtu !== undefined && !(Number.isInteger(settings.mtu) && settings.mtu >= 68 && settings.mtu <= 0xffff)) {
      throw new RangeError(`MTU must be an integer 68..65535, got ${settings.mtu}`);
    }
    await this.conn.request(RTM.NEWLINK, 0, linkSetBody(await this.linkIndex(ref), settings));
  }

  /** `ip link delete dev X`. */
  async deleteLink(ref: LinkRef): Promise<void> {
    await this.conn.request(RTM.DELLINK, 0, linkDeleteBody(await this.linkIndex(ref)));
  }

  // Addresses

  async listAddresses(filter: { family?: IpFamily; dev?: LinkRef } = {}): Promise<Address[]> {
    const index = filter.dev === undefined ? undefined : await this.linkIndex(filter.dev);
    const all = decodeAll(await this.conn.dump(RTM.GETADDR, addressDumpBody(filter.family, index)), RTM.NEWADDR, decodeAddress);
    return all.filter((a) => (index === undefined || a.index === index) && (!filter.family || a.address.family === filter.family));
  }

  /** `ip address add A/N dev X [nodad]`; EEXIST when already there. */
  async addAddress(dev: LinkRef, address: IpPrefix, options: AddressOptions = {}): Promise<void> {
    const index = await this.linkIndex(dev);
    await this.conn.request(RTM.NEWADDR, NLM_F.CREATE | NLM_F.EXCL, addressBody({ index, address, ...options }));
  }

  /** `ip address replace`: adds, or updates the flags of an existing address. */
  async replaceAddress(dev: LinkRef, address: IpPrefix, options: AddressOptions = {}): Promise<void> {
    const index = await this.linkIndex(dev);
    await this.conn.request(RTM.NEWADDR, NLM_F.CREATE | NLM_F.REPLACE, addressBody({ index, address, ...options }));
  }

  async deleteAddress(dev: LinkRef, address: IpPrefix): Promise<void> {
    const index = await this.linkIndex(dev);
    await this.conn.request(RTM.DELADDR, 0, addressBody({ index, address }));
  }

  // Routes

  /** Routes of every table (or one), both families unless one is given. */
  async listRoutes(filter: RouteFilter = {}): Promise<Route[]> {
    const index = filter.dev === undefined ? undefined : await this.linkIndex(filter.dev);
    let messages: NetlinkMessage[];
    try {
      messages = await this.conn.dump(RTM.GETROUTE, routeDumpBody(filter.family, { table: filter.table }));
    } catch (err) {
      // A one-family dump filtered on a table that does not exist fails with ENOENT.
      if (filter.table !== undefined && err instanceof NetlinkError && err.code === 'ENOENT') return [];
      throw err;
    }
    const all = decodeAll(messages, RTM.NEWROUTE, decodeRoute);
    return all.filter(
      (r) =>
        (filter.family === undefined || r.family === filter.family) &&
        (filter.table === undefined || r.table === filter.table) &&
        (index === undefined || r.index === index || (r.multipath ?? []).some((h) => h.index === index)),
    );
  }

  /**
   * `ip route get [fibmatch] ADDR [from SRC] [mark M]`: the route the kernel would take; rejects
   * with ENETUNREACH when none.
   */
  async getRoute(destination: IpAddress, options: RouteLookupOptions = {}): Promise<Route> {
    const [route] = decodeAll(await this.conn.request(RTM.GETROUTE, 0, routeGetBody(destination, options)), RTM.NEWROUTE, decodeRoute);
    if (!route) throw new Error('netlink: no RTM_NEWROUTE reply to a route lookup');
    return route;
  }

  /** `ip route add`; EEXIST when an identical route exists. */
  async addRoute(route: RouteInput): Promise<void> {
    await this.conn.request(RTM.NEWROUTE, NLM_F.CREATE | NLM_F.EXCL, routeBody(await this.resolveRoute(route), true));
  }

  /** `ip route replace`. */
  async replaceRoute(route: RouteInput): Promise<void> {
    await this.conn.request(RTM.NEWROUTE, NLM_F.CREATE | NLM_F.REPLACE, routeBody(await this.resolveRoute(route), true));
  }

  /** `ip route del`: fields left out match any route (a listed Route deletes exactly itself). */
  async deleteRoute(route: RouteInput): Promise<void> {
    await this.conn.request(RTM.DELROUTE, 0, routeBody(await this.resolveRoute(route), false));
  }

  private async resolveRoute(route: RouteInput): Promise<RouteSpec> {
    const { dev, multipath, ...rest } = route;
    const spec: RouteSpec = { ...rest };
    if (dev !== undefined) spec.index = await this.linkIndex(dev);
    if (multipath) {
      spec.multipath = await Promise.all(
        multipath.map(async ({ dev: hopDev, ...hop }) => (hopDev === undefined ? hop : { ...hop, index: await this.linkIndex(hopDev) })),
      );
    }
    return spec;
  }

  // Rules

  async listRules(family?: IpFamily): Promise<Rule[]> {
    const all = decodeAll(await this.conn.dump(RTM.GETRULE, ruleDumpBody(family)), RTM.NEWRULE, decodeRule);
    return family === undefined ? all : all.filter((r) => r.family === family);
  }

  /** `ip rule add`; EEXIST when an identical rule exists. */
  async addRule(rule: RuleSpec): Promise<void> {
    await this.conn.request(RTM.NEWRULE, NLM_F.CREATE | NLM_F.EXCL, ruleBody(rule, true));
  }

  /** `ip rule del`: deletes the first rule matching every field given. */
  async deleteRule(rule: RuleSpec): Promise<void> {
    await this.conn.request(RTM.DELRULE, 0, ruleBody(rule, false));
  }

  // Neighbours

  async listNeighbours(filter: { family?: IpFamily; dev?: LinkRef } = {}): Promise<Neighbour[]> {
    const index = filter.dev === undefined ? undefined : await this.linkIndex(filter.dev);
    const all = decodeAll(await this.conn.dump(RTM.GETNEIGH, neighbourDumpBody(filter.family, index)), RTM.NEWNEIGH, decodeNeighbour);
    return all.filter((n) => (index === undefined || n.index === index) && (!filter.family || n.family === filter.family));
  }

  /** `ip neigh add ADDR lladdr MAC dev X [nud STATE]`; EEXIST when present. */
  async addNeighbour(neighbour: NeighbourInput): Promise<void> {
    await this.conn.request(RTM.NEWNEIGH, NLM_F.CREATE | NLM_F.EXCL, neighbourBody(await this.resolveNeighbour(neighbour), true));
  }

  /** `ip neigh replace`. */
  async replaceNeighbour(neighbour: NeighbourInput): Promise<void> {
    await this.conn.request(RTM.NEWNEIGH, NLM_F.CREATE | NLM_F.REPLACE, neighbourBody(await this.resolveNeighbour(neighbour), true));
  }

  async deleteNeighbour(neighbour: NeighbourInput): Promise<void> {
    await this.conn.request(RTM.DELNEIGH, 0, neighbourBody(await this.resolveNeighbour(neighbour), false));
  }

  /**
   * `ip neigh flush dev X`: deletes the device's entries, except permanent and NOARP ones unless
   * asked. Returns how many were deleted (entries that vanished meanwhile are not counted).
   */
  async flushNeighbours(dev: LinkRef, options: { family?: IpFamily; includePermanent?: boolean } = {}): Promise<number> {
    const spared = options.includePermanent ? 0 : NUD.PERMANENT | NUD.NOARP;
    const entries = (await this.listNeighbours({ dev, family: options.family })).filter((n) => (n.state & spared) === 0);
    const results = await Promise.allSettled(
      entries.map((n) => this.conn.request(RTM.DELNEIGH, 0, neighbourBody({ index: n.index, destination: n.destination }, false))),
    );
    let deleted = 0;
    for (const r of results) {
      if (r.status === 'fulfilled') deleted++;
      else if ((r.reason as { code?: string }).code !== 'ENOENT') throw r.reason;
    }
    return deleted;
  }

  private async resolveNeighbour(input: NeighbourInput): Promise<NeighbourSpec> {
    const { dev, ...rest } = input;
    return { ...rest, index: await this.linkIndex(dev) };
  }
}

function checkName(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 15 || name.includes('/') || /\s/.test(name)) {
    throw new TypeError(`invalid interface name ${JSON.stringify(name)}`);
  }
  return name;
}
