// AllowedIPs: which peer owns an address (longest-prefix match), backed by the native trie
// (native/allowedips.cc). Every argument is validated here before it reaches C++.
// Semantics are upstream WireGuard's: inserting a prefix again moves it to the new peer;
// remove() takes a prefix away only from the peer that owns it, otherwise it is a no-op.
import { parseIp, type IpAddress, type IpFamily, type IpPrefix } from '../net/ip.js';
import { loadNative } from './loader.js';
import type { NativeAllowedIps } from './native.js';
import { PrefixBatch, checkPeer, toPrefix } from './prefix-batch.js';

export { PrefixBatch, PREFIX_ENTRY_BYTES, type PrefixEntry } from './prefix-batch.js';

function toAddress(address: unknown): IpAddress {
  if (typeof address === 'string') {
    const parsed = parseIp(address);
    if (!parsed) throw new RangeError(`malformed IP address: ${JSON.stringify(address)}`);
    return parsed;
  }
  if (typeof address !== 'object' || address === null) {
    throw new TypeError(`address must be a string or an IpAddress, got ${address === null ? 'null' : typeof address}`);
  }
  const { family, bytes } = address as Partial<IpAddress>;
  if (family !== 4 && family !== 6) throw new RangeError(`address family must be 4 or 6, got ${String(family)}`);
  if (!(bytes instanceof Uint8Array)) throw new TypeError('address bytes must be a Uint8Array');
  if (bytes.length !== (family === 4 ? 4 : 16)) {
    throw new RangeError(`IPv${family} address must be ${family === 4 ? 4 : 16} bytes, got ${bytes.length}`);
  }
  return { family, bytes };
}

function toBatchBytes(batch: unknown): Uint8Array {
  if (batch instanceof PrefixBatch) return batch.bytes;
  throw new TypeError('expected a PrefixBatch');
}

export class AllowedIps {
  readonly #native: NativeAllowedIps;

  constructor() {
    this.#native = new (loadNative().AllowedIps)();
  }

  /** The native object, for handing the same table to the data plane. */
  get native(): NativeAllowedIps {
    return this.#native;
  }

  /** Gives prefix (host bits cleared) to peer; returns its previous owner, or 0 when it was new. */
  insert(prefix: string | IpPrefix, peer: number): number {
    const { family, bytes, cidr } = toPrefix(prefix);
    return this.#native.insert(family, bytes, cidr, checkPeer(peer));
  }

  /** Removes exactly prefix if peer owns it; returns whether it did. */
  remove(prefix: string | IpPrefix, peer: number): boolean {
    const { family, bytes, cidr } = toPrefix(prefix);
    return this.#native.remove(family, bytes, cidr, checkPeer(peer));
  }

  /** Removes every prefix of peer; returns how many. */
  removeAll(peer: number): number {
    return this.#native.removeAll(checkPeer(peer));
  }

  /** The peer owning the longest prefix that contains address, or 0. */
  lookup(address: string | IpAddress): number {
    const { family, bytes } = toAddress(address);
    return this.#native.lookup(family, bytes);
  }

  /** The prefixes peer owns, host bits cleared. */
  walk(peer: number): IpPrefix[] {
    return Array.from(this.walkBatch(peer).entries(), (entry) => entry.prefix);
  }

  /** The prefixes peer owns as packed entries, for streaming large tables. */
  walkBatch(peer: number): PrefixBatch {
    return PrefixBatch.fromBytes(this.#native.walk(checkPeer(peer)));
  }

  count(): number {
    return this.#native.count();
  }

  /** Heap bytes the table holds. */
  memoryBytes(): number {
    return this.#native.memoryBytes();
  }

  /** Inserts every entry of batch (later entries win); returns how many prefixes were new. */
  insertMany(batch: PrefixBatch): number {
    return this.#native.insertMany(toBatchBytes(batch));
  }

  /** Removes each entry's prefix if that entry's peer owns it; returns how many were removed. */
  removeMany(batch: PrefixBatch): number {
    return this.#native.removeMany(toBatchBytes(batch));
  }

  /**
   * Looks up packed addresses of one family (4 or 16 bytes each). out[i] receives the owner of
   * address i, or 0; returns out.
   */
  lookupMany(family: IpFamily, addresses: Uint8Array, out?: Uint32Array): Uint32Array {
    if (family !== 4 && family !== 6) throw new RangeError(`family must be 4 or 6, got ${String(family)}`);
    if (!(addresses instanceof Uint8Array)) throw new TypeError('addresses must be a Uint8Array');
    const size = family === 4 ? 4 : 16;
    if (addresses.length % size !== 0) {
      throw new RangeError(`IPv${family} addresses must be a multiple of ${size} bytes, got ${addresses.length}`);
    }
    const count = addresses.length / size;
    const result = out ?? new Uint32Array(count);
    if (!(result instanceof Uint32Array)) throw new TypeError('out must be a Uint32Array');
    if (result.length < count) throw new RangeError(`out holds ${result.length} results, ${count} needed`);
    this.#native.lookupMany(family, addresses, result);
    return result;
  }
}
