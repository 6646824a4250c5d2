// Typed wrapper of the native ChaCha20-Poly1305 (native/aead.h). Every argument is checked
// here before it reaches C++. Counters are bigints in [0, 2^64) and become WireGuard's nonce:
// 4 zero bytes, then the counter as 64-bit little endian (whitepaper §5.4.6).
// Every method takes an optional last argument choosing the implementation (aeadPaths());
// without it the fastest runs. All paths give identical bytes.
import { loadNative } from './loader.js';
import type { NativeAeadKey, NativeAeadPath } from './native.js';
import { checkBytes, checkOptionalBytes, checkU64 } from '../checks.js';

/** 'openssl' (OpenSSL's EVP, always built) or 'ipsec-mb' (Intel's ipsec-mb, when built in). */
export type AeadPath = NativeAeadPath;

/** The implementations this build and CPU can run, the fastest (the default) first. */
export function aeadPaths(): AeadPath[] {
  return loadNative().aeadPaths();
}

function checkPath(path: unknown): AeadPath | undefined {
  if (path === undefined) return undefined;
  if (typeof path !== 'string') throw new TypeError('path must be a string');
  const available = aeadPaths();
  if (!(available as string[]).includes(path)) {
    throw new RangeError(`AEAD path '${path}' is not available here (have: ${available.join(', ')})`);
  }
  return path as AeadPath;
}

export const KEY_SIZE = 32;
export const TAG_SIZE = 16;
export const NONCE_SIZE = 12;

/** Result of AeadKey.openMany: ok[i] is 1 when packet i authenticated, else 0. */
export interface OpenManyResult {
  opened: number;
  ok: Uint8Array;
  dst: Uint8Array;
}

function checkBatch(counters: unknown, src: unknown, lengths: unknown): number {
  if (!(counters instanceof BigUint64Array)) throw new TypeError('counters must be a BigUint64Array');
  const bytes = checkBytes(src, 'src');
  if (!(lengths instanceof Uint32Array)) throw new TypeError('lengths must be a Uint32Array');
  if (counters.length !== lengths.length) {
    throw new RangeError(`counters (${counters.length}) and lengths (${lengths.length}) must have the same length`);
  }
  let total = 0;
  for (const length of lengths) total += length;
  if (total > bytes.length) throw new RangeError(`the lengths add up to ${total} bytes, src holds ${bytes.length}`);
  return total;
}

function checkDst(dst: unknown, needed: number): Uint8Array {
  const bytes = checkBytes(dst, 'dst');
  if (bytes.length < needed) throw new RangeError(`dst must hold ${needed} bytes, got ${bytes.length}`);
  return bytes;
}

/** One ChaCha20-Poly1305 key held in native memory; seal and open reuse its cipher state. */
export class AeadKey {
  readonly #native: NativeAeadKey;

  constructor(key: Uint8Array) {
    this.#native = new (loadNative().AeadKey)(checkBytes(key, 'key', KEY_SIZE));
  }

  /** Encrypts plaintext and appends the 16-byte tag. */
  seal(counter: bigint, plaintext: Uint8Array, ad?: Uint8Array, path?: AeadPath): Buffer {
    const text = checkBytes(plaintext, 'plaintext');
    const dst = Buffer.allocUnsafe(text.length + TAG_SIZE);
    this.#native.seal(checkU64(counter, 'counter'), text, checkOptionalBytes(ad, 'ad'), dst, checkPath(path));
    return dst;
  }

  /** Authenticates and decrypts ciphertext‖tag; null when it does not authenticate. */
  open(counter: bigint, sealed: Uint8Array, ad?: Uint8Array, path?: AeadPath): Buffer | null {
    const bytes = checkBytes(sealed, 'sealed');
    const dst = Buffer.allocUnsafe(Math.max(bytes.length - TAG_SIZE, 0));
    return this.#native.open(checkU64(counter, 'counter'), bytes, checkOptionalBytes(ad, 'ad'), dst, checkPath(path))
      ? dst
      : null;
  }

  /**
   * seal into dst (plaintext.length + 16 bytes at its start); dst may begin where plaintext
   * begins (in place) but must not overlap it otherwise. Returns the sealed view of dst.
   */
  sealInto(counter: bigint, plaintext: Uint8Array, dst: Uint8Array, ad?: Uint8Array, path?: AeadPath): Uint8Array {
    const text = checkBytes(plaintext, 'plaintext');
    const out = checkDst(dst, text.length + TAG_SIZE);
    this.#native.seal(checkU64(counter, 'counter'), text, checkOptionalBytes(ad, 'ad'), out, checkPath(path));
    return out.subarray(0, text.length + TAG_SIZE);
  }

  /** open into dst (same overlap rule); returns the plaintext view of dst, or null. */
  openInto(counter: bigint, sealed: Uint8Array, dst: Uint8Array, ad?: Uint8Array, path?: AeadPath): Uint8Array | null {
    const bytes = checkBytes(sealed, 'sealed');
    const textLength = Math.max(bytes.length - TAG_SIZE, 0);
    const out = checkDst(dst, textLength);
    return this.#native.open(checkU64(counter, 'counter'), bytes, checkOptionalBytes(ad, 'ad'), out, checkPath(path))
      ? out.subarray(0, textLength)
      : null;
  }

  /** seal with an arbitrary 12-byte RFC 8439 nonce instead of WireGuard's counter nonce. */
  sealWithNonce(nonce: Uint8Array, plaintext: Uint8Array, ad?: Uint8Array, path?: AeadPath): Buffer {
    const text = checkBytes(plaintext, 'plaintext');
    const dst = Buffer.allocUnsafe(text.length + TAG_SIZE);
    const raw = checkBytes(nonce, 'nonce', NONCE_SIZE);
    this.#native.sealWithNonce(raw, text, checkOptionalBytes(ad, 'ad'), dst, checkPath(path));
    return dst;
  }

  /** open with an arbitrary 12-byte RFC 8439 nonce; null when it does not authenticate. */
  openWithNonce(nonce: Uint8Array, sealed: Uint8Array, ad?: Uint8Array, path?: AeadPath): Buffer | null {
    const bytes = checkBytes(sealed, 'sealed');
    const dst = Buffer.allocUnsafe(Math.max(bytes.length - TAG_SIZE, 0));
    const raw = checkBytes(nonce, 'nonce', NONCE_SIZE);
    const ok = this.#native.openWithNonce(raw, bytes, checkOptionalBytes(ad, 'ad'), dst, checkPath(path));
    return ok ? dst : null;
  }

  /**
   * Seals many packets in one native call: packet i is lengths[i] bytes of src (packets back
   * to back), sealed with counters[i] and without AD. The sealed packets (16 bytes longer
   * each) lie back to back in dst, which must not overlap src; it is allocated when omitted.
   */
  sealMany(
    counters: BigUint64Array,
    src: Uint8Array,
    lengths: Uint32Array,
    dst?: Uint8Array,
    path?: AeadPath,
  ): Uint8Array {
    const total = checkBatch(counters, src, lengths);
    const needed = total + lengths.length * TAG_SIZE;
    const out = dst === undefined ? Buffer.allocUnsafe(needed) : checkDst(dst, needed);
    this.#native.sealMany(counters, src, lengths, out, checkPath(path));
    return out;
  }

  /**
   * Opens many packets in one native call: packet i is lengths[i] sealed bytes of src, opened
   * with counters[i] and without AD into dst at the offset it has in src (dst may be src:
   * in place). dst is allocated when omitted.
   */
  openMany(
    counters: BigUint64Array,
    src: Uint8Array,
    lengths: Uint32Array,
    dst?: Uint8Array,
    path?: AeadPath,
  ): OpenManyResult {
    const total = checkBatch(counters, src, lengths);
    const out = dst === undefined ? Buffer.allocUnsafe(total) : checkDst(dst, total);
    const ok = new Uint8Array(lengths.length);
    const opened = this.#native.openMany(counters, src, lengths, out, ok, checkPath(path));
    return { opened, ok, dst: out };
  }

  /** Frees the native key now (OpenSSL wipes its copy, the addon its own); any later call throws. */
  destroy(): void {
    this.#native.destroy();
  }
}

/** One-shot seal; for many packets under one key, keep an AeadKey instead. */
export function seal(key: Uint8Array, counter: bigint, plaintext: Uint8Array, ad?: Uint8Array): Buffer {
  return withKey(key, (k) => k.seal(counter, plaintext, ad));
}

/** One-shot open; null when the packet does not authenticate. */
export function open(key: Uint8Array, counter: bigint, sealed: Uint8Array, ad?: Uint8Array): Buffer | null {
  return withKey(key, (k) => k.open(counter, sealed, ad));
}

function withKey<T>(key: Uint8Array, use: (k: AeadKey) => T): T {
  const k = new AeadKey(key);
  try {
    return use(k);
  } finally {
    k.destroy();
  }
}
