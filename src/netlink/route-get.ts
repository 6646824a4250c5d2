// `ip route get` (RTM_GETROUTE without NLM_F_DUMP): the kernel's routing decision for one
// destination, through every rule and table. With fibMatch (RTM_F_FIB_MATCH, `ip route get
// fibmatch`) the reply is the whole matching FIB entry, every ECMP next hop included, rather
// than the one path a flow would hash to.
import type { IpAddress } from '../net/ip.js';
import { RTA } from './constants.js';
import { afOf, checkAddress } from './inet.js';
import type { WireWriter } from './wire.js';

/** RTA_MARK and RTM_F_FIB_MATCH (linux/rtnetlink.h). */
const RTA_MARK = 16;
const RTM_F_FIB_MATCH = 0x2000;

export interface RouteQuery {
  destination: IpAddress;
  /** Pretend the packet leaves from this address (`from`), as `ip rule from` sees it. */
  source?: IpAddress;
  /** The packet's fwmark (`mark`), as `ip rule fwmark` sees it. */
  mark?: number;
  fibMatch?: boolean;
}

export function routeGetBody(query: RouteQuery): (w: WireWriter) => void {
  checkAddress('route get destination', query.destination);
  const family = query.destination.family;
  if (query.source) checkAddress('route get source', query.source, family);
  if (query.mark !== undefined && !(Number.isInteger(query.mark) && query.mark >= 0 && query.mark <= 0xffffffff)) {
    throw new RangeError(`mark must be a 32-bit unsigned integer, got ${query.mark}`);
  }
  const bits = family === 4 ? 32 : 128;
  return (w) => {
    w.u8(afOf(family)).u8(bits).u8(query.source ? bits : 0).u8(0);
    w.u8(0).u8(0).u8(0).u8(0);
    w.u32(query.fibMatch ? RTM_F_FIB_MATCH : 0);
    w.attrBytes(RTA.DST, query.destination.bytes);
    if (query.source) w.attrBytes(RTA.SRC, query.source.bytes);
    if (query.mark !== undefined) w.attrU32(RTA_MARK, query.mark);
  };
}
