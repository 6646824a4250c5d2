// Address families between viaguard's IpAddress (family 4|6) and the kernel's AF_INET/AF_INET6.
import type { IpAddress, IpFamily, IpPrefix } from '../net/ip.js';
import { AF } from './constants.js';

export function afOf(family: IpFamily): number {
  return family === 4 ? AF.INET : AF.INET6;
}

/** 4 or 6 for AF_INET/AF_INET6; undefined for any other family. */
export function familyOfAf(af: number): IpFamily | undefined {
  return af === AF.INET ? 4 : af === AF.INET6 ? 6 : undefined;
}

export function addressFromBytes(family: IpFamily, data: Uint8Array): IpAddress {
  const size = family === 4 ? 4 : 16;
  if (data.length < size) throw new Error(`netlink: IPv${family} address needs ${size} bytes, got ${data.length}`);
  return { family, bytes: Uint8Array.from(data.subarray(0, size)) };
}

export function prefixFromBytes(family: IpFamily, data: Uint8Array | undefined, cidr: number): IpPrefix {
  const bytes = data ? addressFromBytes(family, data).bytes : new Uint8Array(family === 4 ? 4 : 16);
  return { family, bytes, cidr };
}

/** Throws TypeError/RangeError unless addr is a well-formed IpAddress (of `family`, if given). */
export function checkAddress(what: string, addr: IpAddress, family?: IpFamily): void {
  if (typeof addr !== 'object' || addr === null || !(addr.bytes instanceof Uint8Array)) {
    throw new TypeError(`${what} must be an IpAddress ({ family, bytes })`);
  }
  if (addr.family !== 4 && addr.family !== 6) throw new RangeError(`${what} has family ${String(addr.family)}, expected 4 or 6`);
  if (addr.bytes.length !== (addr.family === 4 ? 4 : 16)) {
    throw new RangeError(`${what} has ${addr.bytes.length} bytes for IPv${addr.family}`);
  }
  if (family !== undefined && addr.family !== family) throw new RangeError(`${what} is IPv${addr.family}, expected IPv${family}`);
}

export function checkPrefix(what: string, prefix: IpPrefix, family?: IpFamily): void {
  checkAddress(what, prefix, family);
  const max = prefix.family === 4 ? 32 : 128;
  if (!Number.isInteger(prefix.cidr) || prefix.cidr < 0 || prefix.cidr > max) {
    throw new RangeError(`${what} has prefix length ${prefix.cidr}, expected 0..${max}`);
  }
}
