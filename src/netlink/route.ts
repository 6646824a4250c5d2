// Routes (RTM_*ROUTE): struct rtmsg (linux/rtnetlink.h) plus RTA_* attributes, including
// RTA_VIA (struct rtvia: a gateway of the other family, `ip route add 10/8 via inet6 fe80::1`),
// RTA_MULTIPATH (a run of struct rtnexthop, each followed by its own attributes) and RTA_TABLE
// (the only place a table number above 255 fits). Defaults and attribute order follow
// iproute2's ip/iproute.c, so requests are byte-identical to `ip route add`'s.
import type { IpAddress, IpFamily, IpPrefix } from '../net/ip.js';
import { AF, ROUTE_TYPES, RouteType, RT_SCOPE, RT_TABLE, RTA, RTAX_MTU, RTPROT } from './constants.js';
import { addressFromBytes, afOf, checkAddress, checkPrefix, familyOfAf, prefixFromBytes } from './inet.js';
import { attributeMap, parseAttributes, readS32, readU16, readU32, WireWriter } from './wire.js';

export interface NextHop {
  /** Same family as the route, or IPv6 for an IPv4 route (RTA_VIA). */
  gateway?: IpAddress;
  /** Output interface index. */
  index?: number;
  /** ECMP weight 1..256 (multipath only). */
  weight?: number;
  /** RTNH_F_* flags; ONLINK (4) to skip the gateway's reachability check. */
  flags?: number;
}

export interface RouteSpec {
  destination: IpPrefix;
  /** RTA_SRC: source prefix (IPv6 source-specific routing). */
  source?: IpPrefix;
  gateway?: IpAddress;
  index?: number;
  /** Default: main (254). */
  table?: number;
  metric?: number;
  /** Default when adding: boot (3), as `ip route add`. */
  protocol?: number;
  /** Default when adding: iproute2's choice (link for gateway-less unicast, host for local). */
  scope?: number;
  /** Default when adding: unicast. */
  type?: RouteType;
  prefsrc?: IpAddress;
  multipath?: NextHop[];
  /** A nexthop object (`ip nexthop`, RTA_NH_ID) instead of gateway/dev/multipath. */
  nexthopId?: number;
  /** RTNH_F_* for a single-path route (rtm_flags); ONLINK is 4. */
  nexthopFlags?: number;
  mtu?: number;
}

export interface Route {
  family: IpFamily;
  destination: IpPrefix;
  source?: IpPrefix;
  table: number;
  protocol: number;
  scope: number;
  type: RouteType;
  tos: number;
  /** rtm_flags: RTNH_F_* of a single path and RTM_F_* (RTM_F_CLONED 0x200...). */
  flags: number;
  metric?: number;
  gateway?: IpAddress;
  index?: number;
  prefsrc?: IpAddress;
  multipath?: NextHop[];
  nexthopId?: number;
  mtu?: number;
}

const RTMSG_LEN = 12;
const RTNEXTHOP_LEN = 8;

function routeTypeNumber(type: RouteType): number {
  return ROUTE_TYPES.indexOf(type);
}

function defaultScope(spec: RouteSpec, family: IpFamily, adding: boolean): number {
  if (family === 6) return RT_SCOPE.UNIVERSE;
  const type = spec.type ?? 'unicast';
  if (type === 'local' || type === 'nat') return RT_SCOPE.HOST;
  if (type === 'broadcast' || type === 'multicast' || type === 'anycast') return RT_SCOPE.LINK;
  if (type === 'unicast' || type === 'unspec') {
    if (!adding) return RT_SCOPE.NOWHERE;
    if (!spec.gateway && !spec.multipath?.length && spec.nexthopId === undefined) return RT_SCOPE.LINK;
  }
  return RT_SCOPE.UNIVERSE;
}

/** RTA_GATEWAY when the families match, RTA_VIA (family + address) when they do not. */
function writeGateway(w: WireWriter, family: IpFamily, gateway: IpAddress): void {
  if (gateway.family === family) w.attrBytes(RTA.GATEWAY, gateway.bytes);
  else w.attr(RTA.VIA, (v) => v.u16(afOf(gateway.family)).bytes(gateway.bytes));
}

function writeMultipath(w: WireWriter, family: IpFamily, hops: NextHop[]): void {
  w.attr(RTA.MULTIPATH, () => {
    for (const hop of hops) {
      const start = w.length;
      const weight = hop.weight ?? 1;
      w.u16(0).u8(hop.flags ?? 0).u8(weight - 1).s32(hop.index ?? 0);
      if (hop.gateway) writeGateway(w, family, hop.gateway);
      w.patchU16(start, w.length - start);
    }
  });
}

/**
 * The body of RTM_NEWROUTE (adding) or RTM_DELROUTE (not adding: unset fields stay 0 so the
 * kernel matches any value, as `ip route del` does).
 */
export function routeBody(spec: RouteSpec, adding: boolean): (w: WireWriter) => void {
  checkPrefix('route destination', spec.destination);
  const family = spec.destination.family;
  if (spec.source) checkPrefix('route source', spec.source, family);
  if (spec.prefsrc) checkAddress('route prefsrc', spec.prefsrc, family);
  if (spec.gateway) checkAddress('route gateway', spec.gateway);
  if (spec.type !== undefined && !ROUTE_TYPES.includes(spec.type)) throw new RangeError(`unknown route type ${String(spec.type)}`);
  for (const hop of spec.multipath ?? []) {
    if (hop.gateway) checkAddress('nexthop gateway', hop.gateway);
    if (hop.weight !== undefined && !(Number.isInteger(hop.weight) && hop.weight >= 1 && hop.weight <= 256)) {
      throw new RangeError(`nexthop weight must be 1..256, got ${hop.weight}`);
    }
  }
  const table = spec.table ?? RT_TABLE.MAIN;
  return (w) => {
    w.u8(afOf(family)).u8(spec.destination.cidr).u8(spec.source?.cidr ?? 0).u8(0);
    w.u8(table < 256 ? table : RT_TABLE.UNSPEC);
    w.u8(spec.protocol ?? (adding ? RTPROT.BOOT : RTPROT.UNSPEC));
    w.u8(spec.scope ?? defaultScope(spec, family, adding));
    w.u8(spec.type ? routeTypeNumber(spec.type) : adding ? routeTypeNumber('unicast') : 0);
    w.u32(spec.nexthopFlags ?? 0);
    if (spec.destination.cidr > 0) w.attrBytes(RTA.DST, spec.destination.bytes);
    if (spec.source && spec.source.cidr > 0) w.attrBytes(RTA.SRC, spec.source.bytes);
    if (table >= 256) w.attrU32(RTA.TABLE, table);
    if (spec.metric !== undefined) w.attrU32(RTA.PRIORITY, spec.metric);
    if (spec.prefsrc) w.attrBytes(RTA.PREFSRC, spec.prefsrc.bytes);
    if (spec.gateway) writeGateway(w, family, spec.gateway);
    if (spec.index !== undefined) w.attrU32(RTA.OIF, spec.index);
    if (spec.mtu !== undefined) w.attr(RTA.METRICS, (m) => m.attrU32(RTAX_MTU, spec.mtu as number));
    if (spec.multipath?.length) writeMultipath(w, family, spec.multipath);
    if (spec.nexthopId !== undefined) w.attrU32(RTA.NH_ID, spec.nexthopId);
  };
}

/**
 * A route dump, filtered in the kernel (strict checking) by table and output device when given;
 * the header must otherwise be zero.
 */
export function routeDumpBody(family?: IpFamily, filter: { table?: number; index?: number } = {}): (w: WireWriter) => void {
  return (w) => {
    const { table, index } = filter;
    w.u8(family ? afOf(family) : AF.UNSPEC).u8(0).u8(0).u8(0);
    w.u8(table !== undefined && table < 256 ? table : RT_TABLE.UNSPEC).u8(0).u8(0).u8(0).u32(0);
    if (table !== undefined) w.attrU32(RTA.TABLE, table);
    if (index !== undefined) w.attrU32(RTA.OIF, index);
  };
}

// rtm_flags: report the table the route was found in (linux/rtnetlink.h). `ip route get` asks
// for it on IPv4 only; IPv6's strict checking rejects it (its replies carry the table anyway).
const RTM_F_LOOKUP_TABLE = 0x1000;
// rtm_flags: reply with the whole matching FIB entry (`ip route get fibmatch`), every ECMP next
// hop included, rather than the one path a flow would hash to.
const RTM_F_FIB_MATCH = 0x2000;
const RTA_MARK = 16;

export interface RouteLookupOptions {
  /** Pretend the packet leaves from this address of ours (`from`), as `ip rule from` sees it. */
  source?: IpAddress;
  /** The packet's fwmark (`mark`), as `ip rule fwmark` sees it. */
  mark?: number;
  fibMatch?: boolean;
}

/** RTM_GETROUTE for one destination (`ip route get [fibmatch] ADDR [from SRC] [mark M]`): the kernel's routing decision. */
export function routeGetBody(destination: IpAddress, options: RouteLookupOptions = {}): (w: WireWriter) => void {
  checkAddress('route lookup destination', destination);
  const { source, mark, fibMatch = false } = options;
  if (source) checkAddress('route lookup source', source, destination.family);
  if (mark !== undefined && !(Number.isInteger(mark) && mark >= 0 && mark <= 0xffffffff)) {
    throw new RangeError(`mark must be a 32-bit unsigned integer, got ${mark}`);
  }
  const bits = destination.bytes.length * 8;
  const flags = (destination.family === 4 ? RTM_F_LOOKUP_TABLE : 0) | (fibMatch ? RTM_F_FIB_MATCH : 0);
  return (w) => {
    w.u8(afOf(destination.family)).u8(bits).u8(source ? bits : 0).u8(0);
    w.u8(RT_TABLE.UNSPEC).u8(0).u8(0).u8(0).u32(flags);
    w.attrBytes(RTA.DST, destination.bytes);
    if (source) w.attrBytes(RTA.SRC, source.bytes);
    if (mark !== undefined) w.attrU32(RTA_MARK, mark);
  };
}

function decodeGateway(attrs: Map<number, Uint8Array>, family: IpFamily): IpAddress | undefined {
  const gw = attrs.get(RTA.GATEWAY);
  if (gw) return addressFromBytes(family, gw);
  const via = attrs.get(RTA.VIA);
  if (!via) return undefined;
  const viaFamily = familyOfAf(readU16(via));
  return viaFamily ? addressFromBytes(viaFamily, via.subarray(2)) : undefined;
}

function decodeMultipath(data: Uint8Array, family: IpFamily): NextHop[] {
  const hops: NextHop[] = [];
  let off = 0;
  while (off + RTNEXTHOP_LEN <= data.length) {
    const len = readU16(data, off);
    if (len < RTNEXTHOP_LEN || off + len > data.length) throw new Error('netlink: malformed rtnexthop');
    const hop: NextHop = { index: readS32(data, off + 4), weight: data[off + 3] + 1, flags: data[off + 2] };
    const gateway = decodeGateway(attributeMap(data.subarray(off + RTNEXTHOP_LEN, off + len)), family);
    if (gateway) hop.gateway = gateway;
    hops.push(hop);
    off += (len + 3) & ~3;
  }
  return hops;
}

/** undefined for families other than IPv4/IPv6. */
export function decodeRoute(payload: Uint8Array): Route | undefined {
  if (payload.length < RTMSG_LEN) throw new Error('netlink: truncated rtmsg');
  const family = familyOfAf(payload[0]);
  if (!family) return undefined;
  const attrs = attributeMap(payload.subarray(RTMSG_LEN));
  const table = attrs.get(RTA.TABLE);
  const route: Route = {
    family,
    destination: prefixFromBytes(family, attrs.get(RTA.DST), payload[1]),
    table: table ? readU32(table) : payload[4],
    protocol: payload[5],
    scope: payload[6],
    type: ROUTE_TYPES[payload[7]] ?? 'unspec',
    tos: payload[3],
    flags: readU32(payload, 8),
  };
  if (payload[2] > 0) route.source = prefixFromBytes(family, attrs.get(RTA.SRC), payload[2]);
  const metric = attrs.get(RTA.PRIORITY);
  if (metric) route.metric = readU32(metric);
  const gateway = decodeGateway(attrs, family);
  if (gateway) route.gateway = gateway;
  const oif = attrs.get(RTA.OIF);
  if (oif) route.index = readU32(oif);
  const prefsrc = attrs.get(RTA.PREFSRC);
  if (prefsrc) route.prefsrc = addressFromBytes(family, prefsrc);
  const multipath = attrs.get(RTA.MULTIPATH);
  if (multipath) route.multipath = decodeMultipath(multipath, family);
  const nexthopId = attrs.get(RTA.NH_ID);
  if (nexthopId) route.nexthopId = readU32(nexthopId);
  const metrics = attrs.get(RTA.METRICS);
  if (metrics) {
    for (const m of parseAttributes(metrics)) if (m.type === RTAX_MTU) route.mtu = readU32(m.data);
  }
  return route;
}
