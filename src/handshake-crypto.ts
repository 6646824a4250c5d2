// Typed wrapper of the addon's handshake primitives (native/x25519.h, native/blake2s.h,
// native/hmac_blake2s.h). Every argument is checked here before it reaches C++.
import { loadNative } from './native/loader.js';
import type { NativeX25519Key } from './native/native.js';
import { checkBytes, checkInteger } from './checks.js';

export const X25519_KEY_SIZE = 32;
export const BLAKE2S_MAX_KEY = 32;
export const BLAKE2S_MAX_OUTPUT = 32;

/** An X25519 key pair whose private key never leaves native memory. */
export class X25519Key {
  readonly #native: NativeX25519Key;
  readonly publicKey: Uint8Array;

  private constructor(native: NativeX25519Key) {
    this.#native = native;
    this.publicKey = native.publicKey();
  }

  /** A fresh key pair from OpenSSL's private random generator. */
  static generate(): X25519Key {
    return new X25519Key(new (loadNative().X25519Key)());
  }

  /** The key pair of a 32-byte private key (clamped when used, RFC 7748 §5). */
  static fromPrivate(privateKey: Uint8Array): X25519Key {
    return new X25519Key(new (loadNative().X25519Key)(checkBytes(privateKey, 'privateKey', X25519_KEY_SIZE)));
  }

  /** The shared secret with a 32-byte public key; undefined when it is all zero (a low-order point). */
  dh(publicKey: Uint8Array): Uint8Array | undefined {
    return this.#native.dh(checkBytes(publicKey, 'publicKey', X25519_KEY_SIZE));
  }
}

/** BLAKE2s-256 of the concatenation of the parts. */
export function blake2sHash(...parts: Uint8Array[]): Uint8Array {
  parts.forEach((part, i) => checkBytes(part, `part ${i}`));
  return loadNative().blake2sHash(...parts);
}

/** BLAKE2s (RFC 7693) with an outLength-byte digest, keyed with up to 32 bytes when key is given. */
export function blake2s(data: Uint8Array, key: Uint8Array | null, outLength: number): Uint8Array {
  checkBytes(data, 'data');
  if (key !== null) {
    checkBytes(key, 'key');
    if (key.length > BLAKE2S_MAX_KEY) throw new RangeError(`key must be at most ${BLAKE2S_MAX_KEY} bytes, got ${key.length}`);
  }
  return loadNative().blake2s(data, key, checkInteger(outLength, 'outLength', 1, BLAKE2S_MAX_OUTPUT));
}

/** HMAC-BLAKE2s (RFC 2104 over BLAKE2s-256), 32 bytes. */
export function hmacBlake2s(key: Uint8Array, data: Uint8Array): Uint8Array {
  return loadNative().hmacBlake2s(checkBytes(key, 'key'), checkBytes(data, 'data'));
}

/** WireGuard's KDF_n (HKDF over HMAC-BLAKE2s, whitepaper §5.4): n 32-byte outputs, in one native call. */
export function hkdfBlake2s(key: Uint8Array, input: Uint8Array, n: 1 | 2 | 3): Uint8Array[] {
  const count = checkInteger(n, 'n', 1, 3);
  const joined = loadNative().hkdfBlake2s(checkBytes(key, 'key'), checkBytes(input, 'input'), count);
  const outputs: Uint8Array[] = [];
  for (let i = 0; i < count; i++) outputs.push(joined.subarray(32 * i, 32 * (i + 1)));
  return outputs;
}
