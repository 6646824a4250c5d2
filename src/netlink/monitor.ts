// Watches rtnetlink multicast groups: emits 'change' for each link, address, route, rule or
// neighbour change, 'overflow' when the kernel dropped notifications (the caller must dump
// again to resync), and 'error'.
import { EventEmitter } from 'node:events';
import type { NativeNetlinkSocket } from '../native/native.js';
import { RTNLGRP } from './constants.js';
import { decodeEvent, RtnlEvent } from './events.js';
import { splitMessages } from './message.js';
import { openNetlinkSocket } from './socket.js';

export const MONITOR_GROUPS = {
  link: RTNLGRP.LINK,
  'ipv4-address': RTNLGRP.IPV4_IFADDR,
  'ipv6-address': RTNLGRP.IPV6_IFADDR,
  'ipv4-route': RTNLGRP.IPV4_ROUTE,
  'ipv6-route': RTNLGRP.IPV6_ROUTE,
  'ipv4-rule': RTNLGRP.IPV4_RULE,
  'ipv6-rule': RTNLGRP.IPV6_RULE,
  neighbour: RTNLGRP.NEIGH,
} as const;
export type MonitorGroup = keyof typeof MONITOR_GROUPS;

export interface MonitorOptions {
  groups: MonitorGroup[];
  netnsPath?: string;
}

interface MonitorEvents {
  change: [RtnlEvent];
  overflow: [];
  error: [Error];
}

export class RtnlMonitor extends EventEmitter<MonitorEvents> {
  private readonly socket: NativeNetlinkSocket;

  constructor(options: MonitorOptions) {
    super();
    if (!Array.isArray(options.groups) || options.groups.length === 0) {
      throw new TypeError(`groups must list some of: ${Object.keys(MONITOR_GROUPS).join(', ')}`);
    }
    const groups = options.groups.map((g) => {
      const n = (MONITOR_GROUPS as Record<string, number>)[g];
      if (n === undefined) throw new RangeError(`unknown monitor group ${JSON.stringify(g)}`);
      return n;
    });
    this.socket = openNetlinkSocket({ groups, netnsPath: options.netnsPath }, (error, datagrams, overflowed) => {
      if (error) this.emit('error', error);
      if (overflowed) this.emit('overflow');
      for (const datagram of datagrams) this.deliver(datagram);
    });
  }

  /** Stop keeping the process alive (it does by default while open). */
  unref(): this {
    this.socket.unref();
    return this;
  }

  ref(): this {
    this.socket.ref();
    return this;
  }

  close(): void {
    this.socket.close();
  }

  private deliver(datagram: Uint8Array): void {
    let events: RtnlEvent[];
    try {
      events = splitMessages(datagram).flatMap((m) => decodeEvent(m) ?? []);
    } catch (err) {
      this.emit('error', err as Error);
      return;
    }
    for (const event of events) this.emit('change', event);
  }
}
