// Packs AllowedIPs entries for the native bulk calls, in the 22-byte layout both sides share:
// u8 family (4|6), u8 cidr, 16 address bytes (IPv4 in the first 4, rest zero), u32 LE peer id.
// Built for streaming a million prefixes: one growable buffer, no object per entry.
import { maxCidr, parsePrefix, type IpFamily, type IpPrefix } from './net/ip.js';
import { checkInteger } from './checks.js';

export const PREFIX_ENTRY_BYTES = 22;

const MAX_PEER = 0xffffffff;

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

export class PrefixBatch {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;

  constructor(initialEntries = 1024) {
    if (!Number.isInteger(initialEntries) || initialEntries < 1) {
      throw new RangeError(`initialEntries must be a positive integer, got ${initialEntries}`);
    }
    this.#buffer = new Uint8Array(initialEntries * PREFIX_ENTRY_BYTES);
    this.#view = new DataView(this.#buffer.buffer);
  }

  /** Wraps packed entries (e.g. from walk) for reading; the bytes are copied. */
  static fromBytes(bytes: Uint8Array): PrefixBatch {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
    if (bytes.length % PREFIX_ENTRY_BYTES !== 0) {
      throw new RangeError(`packed entries must be a multiple of ${PREFIX_ENTRY_BYTES} bytes, got ${bytes.length}`);
    }
    const batch = new PrefixBatch(Math.max(1, bytes.length / PREFIX_ENTRY_BYTES));
    batch.#buffer.set(bytes);
    batch.#length = bytes.length / PREFIX_ENTRY_BYTES;
    for (let i = 0; i < batch.#length; i++) batch.entry(i);  // rejects malformed entries now
    return batch;
  }

  /** Number of entries. */
  get length(): number {
    return this.#length;
  }

  /** The packed entries (a view, valid until the next add or clear). */
  get bytes(): Uint8Array {
    return this.#buffer.subarray(0, this.#length * PREFIX_ENTRY_BYTES);
  }

  add(prefix: string | IpPrefix, peer: number): this {
    const { family, bytes, cidr } = toPrefix(prefix);
    checkPeer(peer);
    this.#reserve(this.#length + 1);
    const offset = this.#length * PREFIX_ENTRY_BYTES;
    const buffer = this.#buffer;
    buffer[offset] = family;
    buffer[offset + 1] = cidr;
    buffer.fill(0, offset + 2, offset + 18);
    buffer.set(bytes, offset + 2);
    this.#view.setUint32(offset + 18, peer, true);
    this.#length++;
    return this;
  }

  clear(): void {
    this.#length = 0;
  }

  entry(index: number): PrefixEntry {
    if (!Number.isInteger(index) || index < 0 || index >= this.#length) {
      throw new RangeError(`entry index ${index} out of range 0..${this.#length - 1}`);
    }
    const offset = index * PREFIX_ENTRY_BYTES;
    const family = this.#buffer[offset];
    if (family !== 4 && family !== 6) throw new RangeError(`entry ${index}: family ${family} is not 4 or 6`);
    const cidr = this.#buffer[offset + 1];
    if (cidr > maxCidr(family as IpFamily)) throw new RangeError(`entry ${index}: cidr ${cidr} out of range`);
    const size = family === 4 ? 4 : 16;
    return {
      prefix: { family, bytes: this.#buffer.slice(offset + 2, offset + 2 + size), cidr },
      peer: this.#view.getUint32(offset + 18, true),
    };
  }

  *entries(): IterableIterator<PrefixEntry> {
    for (let i = 0; i < this.#length; i++) yield this.entry(i);
  }

  #reserve(entries: number): void {
    if (entries * PREFIX_ENTRY_BYTES <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(entries, this.#length * 2) * PREFIX_ENTRY_BYTES);
    grown.set(this.bytes);
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }
}
