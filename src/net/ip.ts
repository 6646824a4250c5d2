// IP addresses and prefixes as bytes: parsing, formatting and host-bit masking, shared by
// config parsing, the UAPI and the AllowedIPs wrapper. Strict: anything inet_pton would reject
// is rejected here too.
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
}

export interface IpPrefix extends IpAddress {
  cidr: number;
}

export function parseIp(text: string): IpAddress | undefined {
  if (isIPv4(text)) return { family: 4, bytes: Uint8Array.from(text.split('.').map(Number)) };
  if (!isIPv6(text)) return undefined;
  return { family: 6, bytes: parseIpv6(text) };
}

function parseIpv6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  // isIPv6 already vetted the syntax; an embedded IPv4 tail becomes two hextets.
  let body = text.split('%')[0];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(body);
  if (v4) {
    const b = v4[1].split('.').map(Number);
    body = `${body.slice(0, v4.index)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, tail] = body.includes('::') ? body.split('::') : [body, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = [...headGroups, ...new Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

export function formatIp(addr: IpAddress): string {
  if (addr.family === 4) return Array.from(addr.bytes.subarray(0, 4)).join('.');
  const hextets: number[] = [];
  for (let i = 0; i < 16; i += 2) hextets.push((addr.bytes[i] << 8) | addr.bytes[i + 1]);
  // RFC 5952: compress the longest run (length >= 2) of zero hextets, the first one on ties.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (hextets[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && hextets[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((h) => h.toString(16)).join(':');
  if (bestStart < 0) return hex(hextets);
  return `${hex(hextets.slice(0, bestStart))}::${hex(hextets.slice(bestStart + bestLen))}`;
}

export function maxCidr(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

/** Parses "addr/cidr" (or a bare address, meaning a host prefix). Host bits are left as given. */
export function parsePrefix(text: string): IpPrefix | undefined {
  const slash = text.indexOf('/');
  const addr = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!addr) return undefined;
  if (slash < 0) return { ...addr, cidr: maxCidr(addr.family) };
  const cidrText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(cidrText)) return undefined;
  const cidr = Number(cidrText);
  if (cidr > maxCidr(addr.family)) return undefined;
  return { ...addr, cidr };
}

/** The prefix with every bit past cidr cleared, as the kernel and wg show it. */
export function maskPrefix(prefix: IpPrefix): IpPrefix {
  const bytes = Uint8Array.from(prefix.bytes);
  for (let bit = prefix.cidr; bit < bytes.length * 8; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return { family: prefix.family, bytes, cidr: prefix.cidr };
}

export function formatPrefix(prefix: IpPrefix): string {
  return `${formatIp(prefix)}/${prefix.cidr}`;
}
