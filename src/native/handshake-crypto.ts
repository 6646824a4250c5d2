// Typed wrapper of the addon's handshake primitives (native/x25519.h, native/blake2s.h,
// native/hmac_blake2s.h). Every argument is checked here before it reaches C++.
//
// Results are views of shared 2 KiB slabs rather than arrays of their own: an ArrayBuffer made
// per result, whether by the addon or from JavaScript (a small Uint8Array lives on V8's heap
// and gets a backing store of its own when native code first touches it), cost ~0.5-1 µs each,
// more than a BLAKE2s block. A result is never handed out twice, and .fill(0) on one wipes it
// only; a retained result keeps its slab alive (at most 64 times its size).
import { loadNative } from './loader.js';
import type { NativeX25519Key } from './native.js';
import { checkBytes, checkInteger } from '../checks.js';

export const X25519_KEY_SIZE = 32;
export const BLAKE2S_MAX_KEY = 32;
export const BLAKE2S_MAX_OUTPUT = 32;
export const HMAC_BLAKE2S_SIZE = 32;

const SLAB_SIZE = 2048;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

/** A fresh, zeroed array of length bytes (at most 96) for a native result. */
function resultArray(length: number): Uint8Array {
  if (slabUsed + length > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + length);
  slabUsed += length;
  return out;
}

/** An X25519 key pair whose private key never leaves native memory. */
export class X25519Key {
  readonly #native: NativeX25519Key;
  readonly publicKey: Uint8Array;

  private constructor(native: NativeX25519Key) {
    this.#native = native;
    this.publicKey = resultArray(X25519_KEY_SIZE);
    native.publicKey(this.publicKey);
  }

  /** A fresh key pair from OpenSSL's private random generator. */
  static generate(): X25519Key {
    return new X25519Key(new (loadNative().X25519Key)());
  }

  /** The key pair of a 32-byte private key (clamped when used, RFC 7748 §5). */
  static fromPrivate(privateKey: Uint8Array): X25519Key {
    return new X25519Key(new (loadNative().X25519Key)(checkBytes(privateKey, 'privateKey', X25519_KEY_SIZE)));
  }

  /** Frees the private key now, its bytes cleared, instead of whenever the garbage collector runs. */
  destroy(): void {
    this.#native.destroy();
  }

  /** The shared secret with a 32-byte public key; undefined when it is all zero (a low-order point). */
  dh(publicKey: Uint8Array): Uint8Array | undefined {
    const out = resultArray(X25519_KEY_SIZE);
    return this.#native.dh(checkBytes(publicKey, 'publicKey', X25519_KEY_SIZE), out) ? out : undefined;
  }
}

/** BLAKE2s-256 of the concatenation of the parts. */
export function blake2sHash(...parts: Uint8Array[]): Uint8Array {
  parts.forEach((part, i) => checkBytes(part, `part ${i}`));
  const out = resultArray(BLAKE2S_MAX_OUTPUT);
  loadNative().blake2sInto(out, null, ...parts);
  return out;
}

/** BLAKE2s (RFC 7693) of data keyed with 1..32 bytes, outLength (1..32) bytes long. */
export function blake2sMac(key: Uint8Array, data: Uint8Array, outLength: number): Uint8Array {
  checkBytes(key, 'key');
  if (key.length < 1 || key.length > BLAKE2S_MAX_KEY) throw new RangeError(`key must be 1..${BLAKE2S_MAX_KEY} bytes, got ${key.length}`);
  const out = resultArray(checkInteger(outLength, 'outLength', 1, BLAKE2S_MAX_OUTPUT));
  loadNative().blake2sInto(out, key, checkBytes(data, 'data'));
  return out;
}

/** HMAC-BLAKE2s (RFC 2104 over BLAKE2s-256), 32 bytes. */
export function hmacBlake2s(key: Uint8Array, data: Uint8Array): Uint8Array {
  const out = resultArray(HMAC_BLAKE2S_SIZE);
  loadNative().hmacBlake2sInto(out, checkBytes(key, 'key'), checkBytes(data, 'data'));
  return out;
}

/** WireGuard's KDF_n (HKDF over HMAC-BLAKE2s, whitepaper §5.4): n 32-byte outputs, in one native call. */
export function hkdfBlake2s(key: Uint8Array, input: Uint8Array, n: 1 | 2 | 3): Uint8Array[] {
  const count = checkInteger(n, 'n', 1, 3);
  const joined = resultArray(HMAC_BLAKE2S_SIZE * count);
  loadNative().hkdfBlake2sInto(joined, checkBytes(key, 'key'), checkBytes(input, 'input'));
  const outputs: Uint8Array[] = [];
  for (let i = 0; i < count; i++) outputs.push(joined.subarray(HMAC_BLAKE2S_SIZE * i, HMAC_BLAKE2S_SIZE * (i + 1)));
  return outputs;
}
