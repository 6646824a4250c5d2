// Typed wrapper of the data plane's ICMP/ICMPv6 destination-unreachable builder
// (native/icmp_error.h): what the data plane writes back through the device for a packet no
// peer can carry. Exported for tests and tools that check those answers.
import { checkBytes } from '../checks.js';
import { loadNative } from './loader.js';

/** The ICMP (IPv4) or ICMPv6 destination-unreachable answer to packet; null when none may be sent. */
export function unreachableFor(packet: Uint8Array): Uint8Array | null {
  return loadNative().unreachableFor(checkBytes(packet, 'packet'));
}

/** The same for a TAP frame (14-byte Ethernet header, then the packet): framed back to its sender. */
export function unreachableForFrame(frame: Uint8Array): Uint8Array | null {
  const checked = checkBytes(frame, 'frame');
  if (checked.length < 14) throw new RangeError(`frame must hold at least an Ethernet header (14 bytes), got ${checked.length}`);
  return loadNative().unreachableForFrame(checked);
}
