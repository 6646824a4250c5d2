// viaguard's rtnetlink client: public surface.
export * from './constants.js';
export { errnoName, errnoText } from './errno.js';
export { NetlinkError, parseAck, splitMessages } from './message.js';
export type { NetlinkAck, NetlinkMessage } from './message.js';
export type { Link, LinkSettings } from './link.js';
export type { Address } from './address.js';
export type { NextHop, Route, RouteSpec } from './route.js';
export type { Rule, RuleSpec, UidRange } from './rule.js';
export type { Neighbour, NeighbourSpec } from './neighbour.js';
export { RtnlClient } from './client.js';
export type { AddressOptions, LinkRef, NeighbourInput, NextHopInput, RouteFilter, RouteInput } from './client.js';
export { decodeEvent } from './events.js';
export type { ChangeAction, RtnlEvent } from './events.js';
export { MONITOR_GROUPS, RtnlMonitor } from './monitor.js';
export type { MonitorGroup, MonitorOptions } from './monitor.js';
