// Neighbour entries (RTM_*NEIGH): struct ndmsg (linux/neighbour.h) plus NDA_DST / NDA_LLADDR,
// with NUD_* states. Route mode points the kernel's ARP/NDP cache at per-peer MACs with these.
import type { IpAddress, IpFamily } from '../net/ip.js';
import { AF, NDA, NUD } from './constants.js';
import { addressFromBytes, afOf, checkAddress, familyOfAf } from './inet.js';
import { attributeMap, readS32, readU16, WireWriter } from './wire.js';

export interface NeighbourSpec {
  index: number;
  destination: IpAddress;
  /** Link-layer address (6 bytes on Ethernet). */
  lladdr?: Uint8Array;
  /** NUD_* state; default PERMANENT when adding. */
  state?: number;
  /** NTF_* flags (NTF_ROUTER 0x80 for IPv6 routers). */
  flags?: number;
}

export interface Neighbour {
  family: IpFamily;
  index: number;
  destination: IpAddress;
  lladdr?: Uint8Array;
  state: number;
  flags: number;
  /** RTN_* type of the destination (1 unicast). */
  type: number;
}

const NDMSG_LEN = 12;

/** ndmsg: family, pad, pad, ifindex, state, flags, type. */
export function neighbourBody(spec: NeighbourSpec, adding: boolean): (w: WireWriter) => void {
  checkAddress('neighbour destination', spec.destination);
  if (spec.lladdr !== undefined && !(spec.lladdr instanceof Uint8Array && spec.lladdr.length > 0 && spec.lladdr.length <= 32)) {
    throw new TypeError('lladdr must be a Uint8Array of 1..32 bytes');
  }
  return (w) => {
    w.u8(afOf(spec.destination.family)).u8(0).u16(0).s32(spec.index);
    w.u16(spec.state ?? (adding ? NUD.PERMANENT : 0)).u8(spec.flags ?? 0).u8(0);
    w.attrBytes(NDA.DST, spec.destination.bytes);
    if (spec.lladdr) w.attrBytes(NDA.LLADDR, spec.lladdr);
  };
}

/** A neighbour dump; strict checking wants the device in NDA_IFINDEX, the header zero. */
export function neighbourDumpBody(family?: IpFamily, index?: number): (w: WireWriter) => void {
  return (w) => {
    w.u8(family ? afOf(family) : AF.UNSPEC).u8(0).u16(0).s32(0).u16(0).u8(0).u8(0);
    if (index !== undefined) w.attrU32(NDA.IFINDEX, index);
  };
}

/** undefined for families other than IPv4/IPv6 (bridge FDB entries and such). */
export function decodeNeighbour(payload: Uint8Array): Neighbour | undefined {
  if (payload.length < NDMSG_LEN) throw new Error('netlink: truncated ndmsg');
  const family = familyOfAf(payload[0]);
  if (!family) return undefined;
  const attrs = attributeMap(payload.subarray(NDMSG_LEN));
  const dst = attrs.get(NDA.DST);
  if (!dst) return undefined;
  const out: Neighbour = {
    family,
    index: readS32(payload, 4),
    destination: addressFromBytes(family, dst),
    state: readU16(payload, 8),
    flags: payload[10],
    type: payload[11],
  };
  const lladdr = attrs.get(NDA.LLADDR);
  if (lladdr) out.lladdr = Uint8Array.from(lladdr);
  return out;
}
