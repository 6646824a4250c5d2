// AllowedIPs entries packed for the native trie's bulk calls, in the 22-byte layout both sides
// share: u8 family (4|6), u8 cidr, 16 address bytes (IPv4 in the first 4, rest zero), u32 LE
// peer id. Host bits are cleared on the way in. Built for streaming a million prefixes (a UAPI
// set, a config file, a walk of the trie): one growable buffer, no object per entry.
import { checkInteger } from '../checks.js';
import { formatPrefix, maxCidr, parsePrefix, type IpFamily, type IpPrefix } from '../net/ip.js';

export const PREFIX_ENTRY_BYTES = 22;
const PEER_ID_OFFSET = 18;
const MAX_PEER = 0xffffffff;
// 0..255 as text: a full-table dump formats five of these per IPv4 prefix.
const DECIMAL = Array.from({ length: 256 }, (_, i) => String(i));

/** Throws unless peer is a valid peer id: an integer in 1..2^32-1. */
export function checkPeer(peer: unknown): number {
  return checkInteger(peer, 'peer', 1, MAX_PEER);
}

/** Accepts "addr/cidr" (a bare address is a host prefix) or an IpPrefix; throws on anything else. */
export function toPrefix(prefix: unknown): IpPrefix {
  if (typeof prefix === 'string') {
    const parsed = parsePrefix(prefix);
    if (!parsed) throw new RangeError(`malformed IP prefix: ${JSON.stringify(prefix)}`);
    return parsed;
  }
  if (typeof prefix !== 'object' || prefix === null) {
    throw new TypeError(`prefix must be a string or an IpPrefix, got ${prefix === null ? 'null' : typeof prefix}`);
  }
  const { family, bytes, cidr } = prefix as Partial<IpPrefix>;
  if (family !== 4 && family !== 6) throw new RangeError(`prefix family must be 4 or 6, got ${String(family)}`);
  if (!(bytes instanceof Uint8Array)) throw new TypeError('prefix bytes must be a Uint8Array');
  if (bytes.length !== (family === 4 ? 4 : 16)) {
    throw new RangeError(`IPv${family} prefix bytes must be ${family === 4 ? 4 : 16} long, got ${bytes.length}`);
  }
  if (typeof cidr !== 'number') throw new TypeError(`prefix cidr must be a number, got ${typeof cidr}`);
  if (!Number.isInteger(cidr) || cidr < 0 || cidr > maxCidr(family)) {
    throw new RangeError(`IPv${family} cidr must be an integer in 0..${maxCidr(family)}, got ${cidr}`);
  }
  return { family, bytes, cidr };
}

export interface PrefixEntry {
  prefix: IpPrefix;
  peer: number;
}

export class PrefixBatch implements Iterable<IpPrefix> {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;

  constructor(initialEntries = 16) {
    if (!Number.isInteger(initialEntries) || initialEntries < 1) {
      throw new RangeError(`initialEntries must be a positive integer, got ${initialEntries}`);
    }
    this.#buffer = new Uint8Array(initialEntries * PREFIX_ENTRY_BYTES);
    this.#view = new DataView(this.#buffer.buffer);
  }

  /** Wraps packed entries (e.g. from walk) for reading; the bytes are copied and checked. */
  static fromBytes(bytes: Uint8Array): PrefixBatch {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
    if (bytes.length % PREFIX_ENTRY_BYTES !== 0) {
      throw new RangeError(`packed entries must be a multiple of ${PREFIX_ENTRY_BYTES} bytes, got ${bytes.length}`);
    }
    const batch = new PrefixBatch(Math.max(1, bytes.length / PREFIX_ENTRY_BYTES));
    batch.#buffer.set(bytes);
    batch.#length = bytes.length / PREFIX_ENTRY_BYTES;
    for (let i = 0; i < batch.#length; i++) batch.#checkEntry(i); // rejects malformed entries now
    return batch;
  }

  /** Number of entries. */
  get length(): number {
    return this.#length;
  }

  /** The packed entries (a view, valid until the next add, push or clear). */
  get bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#length * PREFIX_ENTRY_BYTES);
  }

  /** Appends a prefix given as text or an IpPrefix, checked; throws on anything malformed. */
  add(prefix: string | IpPrefix, peer: number): this {
    this.push(toPrefix(prefix), checkPeer(peer));
    return this;
  }

  /** Appends an already well-formed prefix (peer 0: to be stamped later with setPeerId). */
  push(prefix: IpPrefix, peerId = 0): void {
    const size = prefix.family === 4 ? 4 : 16;
    if (prefix.bytes.length < size || !(prefix.cidr >= 0 && prefix.cidr <= size * 8)) {
      throw new RangeError(`not an IPv${prefix.family} prefix: ${prefix.bytes.length} bytes /${prefix.cidr}`);
    }
    const at = this.#reserve();
    const buffer = this.#buffer;
    buffer[at] = prefix.family;
    buffer[at + 1] = prefix.cidr;
    const whole = prefix.cidr >> 3;
    const partialMask = (0xff00 >> (prefix.cidr & 7)) & 0xff;
    for (let i = 0; i < 16; i++) {
      buffer[at + 2 + i] = i >= size ? 0 : i < whole ? prefix.bytes[i] : i === whole ? prefix.bytes[i] & partialMask : 0;
    }
    this.#view.setUint32(at + PEER_ID_OFFSET, peerId, true);
    this.#length++;
  }

  /**
   * Parses "addr/cidr" (or a bare address) exactly as parsePrefix does and appends it; false when
   * text is not a prefix.
   */
  pushText(text: string, peerId = 0): boolean {
    if (text.length <= MAX_IPV4_PREFIX_TEXT) {
      const length = TEXT_SCRATCH.write(text, 'utf8'); // any non-ASCII byte fails the digit checks
      if (this.#pushIpv4(readIpv4Prefix(TEXT_SCRATCH, 0, length), peerId)) return true;
    }
    return this.#pushParsed(text, peerId);
  }

  /**
   * pushText for the bytes [start, end) of a buffer (a line of a UAPI request, read in place).
   * Canonical IPv4 text, the bulk of a full table, goes straight into the batch without becoming
   * a string: string and object creation cost more than everything else in a million-line set.
   */
  pushBytes(bytes: Uint8Array, start: number, end: number, peerId = 0): boolean {
    return this.#pushIpv4(readIpv4Prefix(bytes, start, end), peerId) || this.#pushParsed(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8'), peerId);
  }

  #pushParsed(text: string, peerId: number): boolean {
    const prefix = parsePrefix(text);
    if (!prefix) return false;
    this.push(prefix, peerId);
    return true;
  }

  /** Appends readIpv4Prefix's result; false (nothing appended) for -1. */
  #pushIpv4(ipv4: number, peerId: number): boolean {
    if (ipv4 < 0) return false;
    const cidr = ipv4 % 64;
    const mask = cidr === 0 ? 0 : (0xffffffff << (32 - cidr)) >>> 0;
    const address = (Math.floor(ipv4 / 64) & mask) >>> 0;
    const at = this.#reserve();
    this.#buffer.fill(0, at, at + PREFIX_ENTRY_BYTES);
    this.#buffer[at] = 4;
    this.#buffer[at + 1] = cidr;
    this.#view.setUint32(at + 2, address, false);
    this.#view.setUint32(at + PEER_ID_OFFSET, peerId, true);
    this.#length++;
    return true;
  }

  /** Stamps every entry with peerId (the daemon numbers peers only when it applies a change). */
  setPeerId(peerId: number): void {
    checkInteger(peerId, 'peer id', 0, MAX_PEER);
    for (let i = 0; i < this.#length; i++) this.#view.setUint32(i * PREFIX_ENTRY_BYTES + PEER_ID_OFFSET, peerId, true);
  }

  clear(): void {
    this.#length = 0;
  }

  /** Entry `index` as objects, checking the packed data (it may come from fromBytes). */
  entry(index: number): PrefixEntry {
    this.#checkIndex(index);
    this.#checkEntry(index);
    return { prefix: this.prefixAt(index), peer: this.peerIdAt(index) };
  }

  *entries(): IterableIterator<PrefixEntry> {
    for (let i = 0; i < this.#length; i++) yield this.entry(i);
  }

  prefixAt(index: number): IpPrefix {
    this.#checkIndex(index);
    const at = index * PREFIX_ENTRY_BYTES;
    const family = this.#buffer[at] as IpFamily;
    const bytes = this.#buffer.slice(at + 2, at + 2 + (family === 4 ? 4 : 16));
    return { family, bytes, cidr: this.#buffer[at + 1] };
  }

  /** The entry as text ("10.0.0.0/8", "fd00::/64"), as formatPrefix writes it. */
  formatAt(index: number): string {
    this.#checkIndex(index);
    const at = index * PREFIX_ENTRY_BYTES;
    const b = this.#buffer;
    if (b[at] === 4) return `${DECIMAL[b[at + 2]]}.${DECIMAL[b[at + 3]]}.${DECIMAL[b[at + 4]]}.${DECIMAL[b[at + 5]]}/${DECIMAL[b[at + 1]]}`;
    return formatPrefix(this.prefixAt(index));
  }

  peerIdAt(index: number): number {
    this.#checkIndex(index);
    return this.#view.getUint32(index * PREFIX_ENTRY_BYTES + PEER_ID_OFFSET, true);
  }

  /** The prefixes, without their peers. */
  *[Symbol.iterator](): Iterator<IpPrefix> {
    for (let i = 0; i < this.#length; i++) yield this.prefixAt(i);
  }

  #checkEntry(index: number): void {
    const offset = index * PREFIX_ENTRY_BYTES;
    const family = this.#buffer[offset];
    if (family !== 4 && family !== 6) throw new RangeError(`entry ${index}: family ${family} is not 4 or 6`);
    const cidr = this.#buffer[offset + 1];
    if (cidr > maxCidr(family as IpFamily)) throw new RangeError(`entry ${index}: cidr ${cidr} out of range`);
  }

  #checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.#length) {
      throw new RangeError(`entry index ${index} out of range 0..${this.#length - 1}`);
    }
  }

  /** Byte offset of a new entry at the end, growing the buffer when full. */
  #reserve(): number {
    const needed = (this.#length + 1) * PREFIX_ENTRY_BYTES;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.bytes);
      this.#buffer = grown;
      this.#view = new DataView(grown.buffer);
    }
    return this.#length * PREFIX_ENTRY_BYTES;
  }
}

// "255.255.255.255/32" is the longest canonical IPv4 prefix.
const MAX_IPV4_PREFIX_TEXT = 18;
const TEXT_SCRATCH = Buffer.alloc(MAX_IPV4_PREFIX_TEXT * 3);

/**
 * Canonical "a.b.c.d/n" in bytes [start, end) (no leading zeros, n written with 1-2 digits,
 * n <= 32) as address * 64 + n, or -1 for anything else (which parsePrefix then judges).
 */
function readIpv4Prefix(text: Uint8Array, start: number, end: number): number {
  let address = 0;
  let i = start;
  for (let octet = 0; octet < 4; octet++) {
    const first = i;
    let value = 0;
    while (i < end) {
      const c = text[i];
      if (c < 48 || c > 57) break;
      value = value * 10 + (c - 48);
      i++;
    }
    const digits = i - first;
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && text[first] === 48)) return -1;
    address = address * 256 + value;
    if (i >= end || text[i] !== (octet < 3 ? 46 : 47)) return -1; // '.' between octets, then '/'
    i++;
  }
  const rest = end - i;
  if (rest < 1 || rest > 2 || (rest === 2 && text[i] === 48)) return -1;
  let cidr = 0;
  for (; i < end; i++) {
    const c = text[i];
    if (c < 48 || c > 57) return -1;
    cidr = cidr * 10 + (c - 48);
  }
  return cidr > 32 ? -1 : address * 64 + cidr;
}
