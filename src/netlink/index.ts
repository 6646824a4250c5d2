// viaguard's rtnetlink client: public surface. wg-quick's setup, for example:
//   const nl = new RtnlClient();                         // or { netnsPath: '/var/run/netns/X' }
//   await nl.addAddress('wg0', parsePrefix('10.0.0.1/24')!);
//   await nl.setLink('wg0', { mtu: 1420, up: true });
//   await nl.addRoute({ destination: parsePrefix('0.0.0.0/0')!, dev: 'wg0', table: 51820 });
//   await nl.addRule({ family: 4, invert: true, fwmark: 51820, table: 51820 });
//   await nl.addRule({ family: 4, table: RT_TABLE.MAIN, suppressPrefixLength: 0 });
//   nl.close();
// Failures reject with NetlinkError ("RTM_NEWROUTE: File exists (EEXIST)", .code, .errno).
export * from './constants.js';
export { errnoName, errnoText } from './errno.js';
export { NetlinkError, parseAck, splitMessages } from './message.js';
export type { NetlinkAck, NetlinkMessage } from './message.js';
export type { Link, LinkSettings } from './link.js';
export type { Address } from './address.js';
export type { NextHop, Route, RouteLookupOptions, RouteSpec } from './route.js';
export type { Rule, RuleSpec, UidRange } from './rule.js';
export type { Neighbour, NeighbourSpec } from './neighbour.js';
export { RtnlClient } from './client.js';
export type { AddressOptions, LinkRef, NeighbourInput, NextHopInput, RouteFilter, RouteInput } from './client.js';
export { decodeEvent } from './events.js';
export type { ChangeAction, RtnlEvent } from './events.js';
export { MONITOR_GROUPS, RtnlMonitor } from './monitor.js';
export type { MonitorGroup, MonitorOptions } from './monitor.js';
