// Interface addresses (RTM_*ADDR): struct ifaddrmsg (linux/if_addr.h) plus IFA_* attributes.
// Adding mirrors iproute2's `ip address add A/N dev X`: IFA_LOCAL and IFA_ADDRESS both carry the
// address (they differ only for point-to-point peers), flags above 8 bits go in IFA_FLAGS.
import type { IpFamily, IpPrefix } from '../net/ip.js';
import { AF, IFA, IFA_F, RT_SCOPE } from './constants.js';
import { addressFromBytes, afOf, checkPrefix, familyOfAf, prefixFromBytes } from './inet.js';
import { attributeMap, readString, readU32, readU8, WireWriter } from './wire.js';

export interface Address {
  index: number;
  /** The address with its prefix length. */
  address: IpPrefix;
  /** IFA_F_* flags. */
  flags: number;
  scope: number;
  label?: string;
}

export interface AddressSpec {
  index: number;
  /** Address and prefix length, e.g. parsePrefix('10.0.0.1/24'). */
  address: IpPrefix;
  /** IPv6: skip duplicate address detection (IFA_F_NODAD), usable at once. */
  nodad?: boolean;
  /** Do not add the prefix route (IFA_F_NOPREFIXROUTE). */
  noprefixroute?: boolean;
  scope?: number;
}

const IFADDRMSG_LEN = 8;

export function addressBody(spec: AddressSpec): (w: WireWriter) => void {
  checkPrefix('address', spec.address);
  return (w) => {
    const flags = (spec.nodad ? IFA_F.NODAD : 0) | (spec.noprefixroute ? IFA_F.NOPREFIXROUTE : 0);
    w.u8(afOf(spec.address.family)).u8(spec.address.cidr).u8(flags & 0xff).u8(spec.scope ?? RT_SCOPE.UNIVERSE);
    w.u32(spec.index);
    w.attrBytes(IFA.LOCAL, spec.address.bytes);
    w.attrBytes(IFA.ADDRESS, spec.address.bytes);
    if (flags > 0xff) w.attrU32(IFA.FLAGS, flags);
  };
}

/** An address dump, filtered by device in the kernel (strict checking) when index is given. */
export function addressDumpBody(family?: IpFamily, index = 0): (w: WireWriter) => void {
  return (w) => w.u8(family ? afOf(family) : AF.UNSPEC).u8(0).u8(0).u8(0).u32(index);
}

/** undefined for families other than IPv4/IPv6. */
export function decodeAddress(payload: Uint8Array): Address | undefined {
  if (payload.length < IFADDRMSG_LEN) throw new Error('netlink: truncated ifaddrmsg');
  const family = familyOfAf(payload[0]);
  if (!family) return undefined;
  const attrs = attributeMap(payload.subarray(IFADDRMSG_LEN));
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on point-to-point links.
  const own = attrs.get(IFA.LOCAL) ?? attrs.get(IFA.ADDRESS);
  const flagsAttr = attrs.get(IFA.FLAGS);
  const out: Address = {
    index: readU32(payload, 4),
    address: { ...(own ? addressFromBytes(family, own) : prefixFromBytes(family, undefined, 0)), cidr: payload[1] },
    flags: flagsAttr ? readU32(flagsAttr) : readU8(payload.subarray(2)),
    scope: payload[3],
  };
  const label = attrs.get(IFA.LABEL);
  if (label) out.label = readString(label);
  return out;
}
