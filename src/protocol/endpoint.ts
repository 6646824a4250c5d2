// A UDP endpoint as the protocol core sees it: the source of a received message, or where to
// send one. Addresses use the shared src/net/ip.ts representation.
import { formatIp, type IpAddress } from '../net/ip.js';

export interface Endpoint {
  address: IpAddress;
  port: number;
}

export function endpointEqual(a: Endpoint | undefined, b: Endpoint | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.port !== b.port || a.address.family !== b.address.family) return false;
  return a.address.bytes.every((byte, i) => byte === b.address.bytes[i]);
}

/** Address bytes then the port in network byte order, as the kernel's cookie input. */
export function endpointBytes(e: Endpoint): Uint8Array {
  const out = new Uint8Array(e.address.bytes.length + 2);
  out.set(e.address.bytes);
  out[out.length - 2] = e.port >> 8;
  out[out.length - 1] = e.port & 0xff;
  return out;
}

export function formatEndpoint(e: Endpoint): string {
  const ip = formatIp(e.address);
  return e.address.family === 6 ? `[${ip}]:${e.port}` : `${ip}:${e.port}`;
}
