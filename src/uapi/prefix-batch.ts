// A growable array of AllowedIPs entries in the packed layout the native trie takes in bulk
// (lead's BOUNDARY.md): 22 bytes each, u8 family (4|6), u8 cidr, 16 address bytes (IPv4 in the
// first 4, rest zero), u32 little-endian peer id. Host bits are cleared on the way in.
import type { IpFamily, IpPrefix } from '../net/ip.js';

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
    if (this.buffer.length < (this.count + 1) * PREFIX_ENTRY_BYTES) this.grow();
    const at = this.count * PREFIX_ENTRY_BYTES;
    this.buffer[at] = prefix.family;
    this.buffer[at + 1] = prefix.cidr;
    for (let i = 0; i < 16; i++) {
      const bit = i * 8;
      const keep = bit >= prefix.cidr ? 0 : bit + 8 <= prefix.cidr ? 0xff : (0xff00 >> (prefix.cidr - bit)) & 0xff;
      this.buffer[at + 2 + i] = i < size ? prefix.bytes[i] & keep : 0;
    }
    this.view.setUint32(at + PEER_ID_OFFSET, peerId, true);
    this.count++;
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

  peerIdAt(index: number): number {
    if (!(index >= 0 && index < this.count)) throw new RangeError(`index ${index} out of 0..${this.count - 1}`);
    return this.view.getUint32(index * PREFIX_ENTRY_BYTES + PEER_ID_OFFSET, true);
  }

  *[Symbol.iterator](): Iterator<IpPrefix> {
    for (let i = 0; i < this.count; i++) yield this.prefixAt(i);
  }

  private grow(): void {
    const bigger = new Uint8Array(this.buffer.length * 2);
    bigger.set(this.buffer);
    this.buffer = bigger;
    this.view = new DataView(bigger.buffer);
  }
}
