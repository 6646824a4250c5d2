// What the protocol core does with a UDP endpoint (an IpEndpoint: the source of a received
// message, or where to send one): compare two, and feed one to the cookie MAC.
import type { IpEndpoint } from '../config/endpoint.js';

export function endpointEqual(a: IpEndpoint | undefined, b: IpEndpoint | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.port !== b.port || a.address.family !== b.address.family || a.scope !== b.scope) return false;
  return a.address.bytes.every((byte, i) => byte === b.address.bytes[i]);
}

/** Address bytes then the port in network byte order, as the kernel's cookie input. */
export function endpointBytes(e: IpEndpoint): Uint8Array {
  const out = new Uint8Array(e.address.bytes.length + 2);
  out.set(e.address.bytes);
  out[out.length - 2] = e.port >> 8;
  out[out.length - 1] = e.port & 0xff;
  return out;
}
