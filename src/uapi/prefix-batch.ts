// A growable array of AllowedIPs entries in the packed layout the native trie takes in bulk
// (lead's BOUNDARY.md): 22 bytes each, u8 family (4|6), u8 cidr, 16 address bytes (IPv4 in the
// first 4, rest zero), u32 little-endian peer id. Host bits are cleared on the way in.
import { formatPrefix, parsePrefix, type IpFamily, type IpPrefix } from '../net/ip.js';

export const PREFIX_ENTRY_BYTES = 22;
const PEER_ID_OFFSET = 18;

export class PrefixBatch implements Iterable<IpPrefix> {
  private buffer: Uint8Array;
  private view: DataView;
  private count = 0;

  constructor(initialCapacity = 16) {
    this.buffer = new Uint8Array(Math.max(1, initialCapacity) * PREFIX_ENTRY_BYTES);
    this.view = new DataView(this.buffer.buffer);
  }

  get length(): number {
    return this.count;
  }

  push(prefix: IpPrefix, peerId = 0): void {
    const size = prefix.family === 4 ? 4 : 16;
    if (prefix.bytes.length < size || !(prefix.cidr >= 0 && prefix.cidr <= size * 8)) {
      throw new RangeError(`not an IPv${prefix.family} prefix: ${prefix.bytes.length} bytes /${prefix.cidr}`);
    }
    const at = this.reserve();
    const buffer = this.buffer;
    buffer[at] = prefix.family;
    buffer[at + 1] = prefix.cidr;
    const whole = prefix.cidr >> 3;
    const partialMask = (0xff00 >> (prefix.cidr & 7)) & 0xff;
    for (let i = 0; i < 16; i++) {
      buffer[at + 2 + i] = i >= size ? 0 : i < whole ? prefix.bytes[i] : i === whole ? prefix.bytes[i] & partialMask : 0;
    }
    this.view.setUint32(at + PEER_ID_OFFSET, peerId, true);
    this.count++;
  }

  /**
   * Parses "addr/cidr" (or a bare address) exactly as parsePrefix does and appends it; false when
   * text is not a prefix. Canonical IPv4 text, the bulk of a full table, is read straight into
   * the buffer: parsePrefix's objects cost more than everything else in a million-line set.
   */
  pushText(text: string, peerId = 0): boolean {
    const ipv4 = readIpv4Prefix(text);
    if (ipv4 < 0) {
      const prefix = parsePrefix(text);
      if (!prefix) return false;
      this.push(prefix, peerId);
      return true;
    }
    const cidr = ipv4 % 64;
    const mask = cidr === 0 ? 0 : (0xffffffff << (32 - cidr)) >>> 0;
    const address = (Math.floor(ipv4 / 64) & mask) >>> 0;
    const at = this.reserve();
    this.buffer.fill(0, at, at + PREFIX_ENTRY_BYTES);
    this.buffer[at] = 4;
    this.buffer[at + 1] = cidr;
    this.view.setUint32(at + 2, address, false);
    this.view.setUint32(at + PEER_ID_OFFSET, peerId, true);
    this.count++;
    return true;
  }

  /** Stamps every entry with peerId (the daemon numbers peers only when it applies a change). */
  setPeerId(peerId: number): void {
    if (!Number.isInteger(peerId) || peerId < 0 || peerId > 0xffffffff) throw new RangeError(`a peer id is a u32, got ${peerId}`);
    for (let i = 0; i < this.count; i++) this.view.setUint32(i * PREFIX_ENTRY_BYTES + PEER_ID_OFFSET, peerId, true);
  }

  /** The packed entries (a view, valid until the next push). */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.count * PREFIX_ENTRY_BYTES);
  }

  prefixAt(index: number): IpPrefix {
    if (!(index >= 0 && index < this.count)) throw new RangeError(`index ${index} out of 0..${this.count - 1}`);
    const at = index * PREFIX_ENTRY_BYTES;
    const family = this.buffer[at] as IpFamily;
    const bytes = this.buffer.slice(at + 2, at + 2 + (family === 4 ? 4 : 16));
    return { family, cidr: this.buffer[at + 1], bytes };
  }

  /** The entry as text ("10.0.0.0/8", "fd00::/64"), as formatPrefix writes it. */
  formatAt(index: number): string {
    const at = index * PREFIX_ENTRY_BYTES;
    const b = this.buffer;
    if (b[at] === 4 && index >= 0 && index < this.count) return `${b[at + 2]}.${b[at + 3]}.${b[at + 4]}.${b[at + 5]}/${b[at + 1]}`;
    return formatPrefix(this.prefixAt(index));
  }

  peerIdAt(index: number): number {
    if (!(index >= 0 && index < this.count)) throw new RangeError(`index ${index} out of 0..${this.count - 1}`);
    return this.view.getUint32(index * PREFIX_ENTRY_BYTES + PEER_ID_OFFSET, true);
  }

  *[Symbol.iterator](): Iterator<IpPrefix> {
    for (let i = 0; i < this.count; i++) yield this.prefixAt(i);
  }

  /** Byte offset of a new entry at the end, growing the buffer when full. */
  private reserve(): number {
    if (this.buffer.length < (this.count + 1) * PREFIX_ENTRY_BYTES) this.grow();
    return this.count * PREFIX_ENTRY_BYTES;
  }

  private grow(): void {
    const bigger = new Uint8Array(this.buffer.length * 2);
    bigger.set(this.buffer);
    this.buffer = bigger;
    this.view = new DataView(bigger.buffer);
  }
}

/**
 * Canonical "a.b.c.d/n" (no leading zeros, n written with 1-2 digits, n <= 32) as
 * address * 64 + n, or -1 for anything else (which parsePrefix then judges).
 */
function readIpv4Prefix(text: string): number {
  let address = 0;
  let i = 0;
  for (let octet = 0; octet < 4; octet++) {
    const start = i;
    let value = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && text.charCodeAt(start) === 48)) return -1;
    address = address * 256 + value;
    if (text.charCodeAt(i) !== (octet < 3 ? 46 : 47)) return -1; // '.' between octets, then '/'
    i++;
  }
  const rest = text.length - i;
  if (rest < 1 || rest > 2 || (rest === 2 && text.charCodeAt(i) === 48)) return -1;
  let cidr = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    cidr = cidr * 10 + (c - 48);
  }
  return cidr > 32 ? -1 : address * 64 + cidr;
}
