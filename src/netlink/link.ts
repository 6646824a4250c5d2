// Links (RTM_*LINK): struct ifinfomsg (linux/rtnetlink.h) plus IFLA_* attributes.
import { AF, IFF, IFLA, IFLA_INFO } from './constants.js';
import { attributeMap, readS32, readString, readU16, readU32, readU8, WireWriter } from './wire.js';

export interface Link {
  index: number;
  name: string;
  /** ARPHRD_* (1 ethernet, 772 loopback, 65534 none/tun). */
  type: number;
  /** IFF_* flags. */
  flags: number;
  up: boolean;
  mtu: number;
  /** Link-layer address, when the link has one. */
  address?: Uint8Array;
  /** IF_OPER_* (6 up, 2 down). */
  operState?: number;
  /** IFLA_INFO_KIND ("veth", "tun", "bridge"...). */
  kind?: string;
  master?: number;
  /** The peer's index for veth and similar (IFLA_LINK). */
  link?: number;
}

export interface LinkSelector {
  index?: number;
  name?: string;
}

export interface LinkSettings {
  up?: boolean;
  mtu?: number;
}

const IFINFOMSG_LEN = 16;

/** ifinfomsg: family, pad, type, index, flags, change. */
function ifinfomsg(w: WireWriter, index: number, flags = 0, change = 0): void {
  w.u8(AF.UNSPEC).u8(0).u16(0).s32(index).u32(flags).u32(change);
}

/** RTM_GETLINK for one link, by index or by name (index 0). */
export function linkGetBody(sel: LinkSelector): (w: WireWriter) => void {
  return (w) => {
    ifinfomsg(w, sel.index ?? 0);
    if (sel.name !== undefined) w.attrString(IFLA.IFNAME, sel.name);
  };
}

export function linkDumpBody(w: WireWriter): void {
  ifinfomsg(w, 0);
}

/** RTM_NEWLINK on an existing index: `ip link set [mtu N] [up|down] dev X`. */
export function linkSetBody(index: number, settings: LinkSettings): (w: WireWriter) => void {
  return (w) => {
    const change = settings.up === undefined ? 0 : IFF.UP;
    ifinfomsg(w, index, settings.up ? IFF.UP : 0, change);
    if (settings.mtu !== undefined) w.attrU32(IFLA.MTU, settings.mtu);
  };
}

export function linkDeleteBody(index: number): (w: WireWriter) => void {
  return (w) => ifinfomsg(w, index);
}

export function decodeLink(payload: Uint8Array): Link {
  if (payload.length < IFINFOMSG_LEN) throw new Error('netlink: truncated ifinfomsg');
  const flags = readU32(payload, 8);
  const attrs = attributeMap(payload.subarray(IFINFOMSG_LEN));
  const link: Link = {
    index: readS32(payload, 4),
    name: '',
    type: readU16(payload, 2),
    flags,
    up: (flags & IFF.UP) !== 0,
    mtu: 0,
  };
  const name = attrs.get(IFLA.IFNAME);
  if (name) link.name = readString(name);
  const mtu = attrs.get(IFLA.MTU);
  if (mtu) link.mtu = readU32(mtu);
  const address = attrs.get(IFLA.ADDRESS);
  if (address) link.address = Uint8Array.from(address);
  const oper = attrs.get(IFLA.OPERSTATE);
  if (oper) link.operState = readU8(oper);
  const master = attrs.get(IFLA.MASTER);
  if (master) link.master = readU32(master);
  const peer = attrs.get(IFLA.LINK);
  if (peer) link.link = readU32(peer);
  const info = attrs.get(IFLA.LINKINFO);
  const kind = info && attributeMap(info).get(IFLA_INFO.KIND);
  if (kind) link.kind = readString(kind);
  return link;
}
