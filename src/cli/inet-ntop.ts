// Addresses as `wg` prints them: glibc's inet_ntop, which differs from RFC 5952 (formatIp) only
// in writing IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) addresses with a dotted
// tail; getnameinfo(NI_NUMERICHOST) for endpoints, IPv6 in brackets.
import type { IpEndpoint } from '../config/endpoint.js';
import { formatIp, type IpAddress, type IpPrefix } from '../net/ip.js';
import type { PrefixBatch } from '../native/prefix-batch.js';

export function inetNtop(address: IpAddress): string {
  if (address.family === 6 && hasDottedTail(address.bytes)) {
    const b = address.bytes;
    return `${b[10] === 0xff ? '::ffff:' : '::'}${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  return formatIp(address);
}

export function inetNtopPrefix(prefix: IpPrefix): string {
  return `${inetNtop(prefix)}/${prefix.cidr}`;
}

/** Every prefix of a batch as text; IPv4 through the batch's fast path (a million in well under a second). */
export function prefixTexts(batch: PrefixBatch): string[] {
  const texts = new Array<string>(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const text = batch.formatAt(i);
    texts[i] = text.includes(':') ? inetNtopPrefix(batch.prefixAt(i)) : text;
  }
  return texts;
}

export function endpointText(endpoint: IpEndpoint): string {
  // getnameinfo appends an IPv6 zone as %name (or the index when it names no interface).
  const host = inetNtop(endpoint.address) + (endpoint.scope ? `%${endpoint.scope}` : '');
  return endpoint.address.family === 6 ? `[${host}]:${endpoint.port}` : `${host}:${endpoint.port}`;
}

// glibc inet_ntop6: the longest zero run starts the address and is 6 hextets long, or 5 followed
// by ffff; and the zero run must be the longest (first on ties, at least 2), which these are.
function hasDottedTail(bytes: Uint8Array): boolean {
  const hextet = (i: number) => (bytes[2 * i] << 8) | bytes[2 * i + 1];
  for (let i = 0; i < 5; i++) if (hextet(i) !== 0) return false;
  if (hextet(5) === 0xffff) return true;
  if (hextet(5) !== 0) return false;
  // Six zero hextets: only when hextet 6 is not zero (otherwise the run is longer than 6).
  return hextet(6) !== 0;
}
