// The primitives WireGuard uses, behind an interface so the protocol core stays pure and tests
// can substitute them. createDefaultCrypto() picks the addon's implementation (native-crypto.ts:
// X25519 and BLAKE2s in C++; a responder answers ~2x as many handshakes per second, see
// bench:handshake) and falls back to the one built on node:crypto, @noble/hashes and libsodium
// (js-crypto.ts) when the addon does not load.
import { randomFillSync } from 'node:crypto';
import { createJsCrypto } from '../crypto/js-crypto.js';
import { createNativeCrypto } from '../crypto/native-crypto.js';

/** An X25519 private key held by a Crypto implementation; only its public half is visible. */
export interface PrivateKey {
  readonly publicKey: Uint8Array;
}

export interface Crypto {
  importPrivateKey(raw: Uint8Array): PrivateKey;
  generateKeypair(): PrivateKey;
  /** X25519; undefined when the result is all zero (a low-order public key). */
  dh(privateKey: PrivateKey, publicKey: Uint8Array): Uint8Array | undefined;
  /** BLAKE2s-256 over the concatenation of the parts. */
  hash(...parts: Uint8Array[]): Uint8Array;
  /** HMAC-BLAKE2s, 32 bytes. */
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** WireGuard's KDF_n (whitepaper §5.4): HKDF over HMAC-BLAKE2s, n 32-byte outputs. */
  kdf(n: 1 | 2 | 3, key: Uint8Array, input: Uint8Array): Uint8Array[];
  /** Keyed BLAKE2s with a 16-byte output (WireGuard's MAC). */
  mac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 with WireGuard's nonce: 4 zero bytes then the little-endian 64-bit counter. */
  aeadSeal(key: Uint8Array, counter: bigint, plaintext: Uint8Array, ad: Uint8Array): Uint8Array;
  aeadOpen(key: Uint8Array, counter: bigint, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | undefined;
  xaeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array;
  xaeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | undefined;
}

/** Randomness for indices, cookie secrets, cookie nonces and timer jitter. */
export interface Random {
  bytes(length: number): Uint8Array;
}

/**
 * The operating system's CSPRNG through node:crypto, drawn 4 KiB at a time: one randomFillSync
 * costs ~4 µs whatever the size up to a few KiB (measured on the 2-vCPU build machine), and a
 * handshake draws a 4-byte index. Bytes are wiped from the pool as they are handed out.
 */
class PooledRandom implements Random {
  private readonly pool = new Uint8Array(4096);
  private used = this.pool.length;

  bytes(length: number): Uint8Array {
    if (length > this.pool.length) return randomFillSync(new Uint8Array(length));
    if (length > this.pool.length - this.used) {
      randomFillSync(this.pool);
      this.used = 0;
    }
    const out = this.pool.slice(this.used, this.used + length);
    this.pool.fill(0, this.used, this.used + length);
    this.used += length;
    return out;
  }
}

export const systemRandom: Random = new PooledRandom();

/** A uniformly random integer in [0, bound), bound <= 2^32. */
export function randomBelow(random: Random, bound: number): number {
  const limit = Math.floor(0x1_0000_0000 / bound) * bound;
  for (;;) {
    const b = random.bytes(4);
    const v = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
    if (v < limit) return v % bound;
  }
}

export function randomU32(random: Random): number {
  const b = random.bytes(4);
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}

/** The addon's Crypto when the addon loads, else the JavaScript one. */
export async function createDefaultCrypto(): Promise<Crypto> {
  try {
    return await createNativeCrypto();
  } catch {
    return createJsCrypto();
  }
}

export { createJsCrypto, createNativeCrypto };
