// Noise's symmetric state helpers with WireGuard's choices (whitepaper §5.4): HASH = BLAKE2s-256,
// KDF_n = HKDF over HMAC-BLAKE2s, and the two construction constants every handshake starts from.
import { NOISE_CONSTRUCTION, WIREGUARD_IDENTIFIER } from './constants.js';
import type { Crypto } from './crypto.js';

const ONE = Uint8Array.of(1);

function concatByte(bytes: Uint8Array, last: number): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = last;
  return out;
}

/**
 * HKDF built from an HMAC-BLAKE2s function, returning n (1..3) 32-byte outputs: prk = HMAC(key,
 * input), T1 = HMAC(prk, 0x1), Tᵢ = HMAC(prk, Tᵢ₋₁ ‖ i). For Crypto implementations without a
 * fused one.
 */
export function hkdfFromHmac(hmac: Crypto['hmac'], n: 1 | 2 | 3, key: Uint8Array, input: Uint8Array): Uint8Array[] {
  const prk = hmac(key, input);
  const out: Uint8Array[] = [];
  let previous = hmac(prk, ONE);
  out.push(previous);
  for (let i = 2; i <= n; i++) {
    previous = hmac(prk, concatByte(previous, i));
    out.push(previous);
  }
  prk.fill(0);
  return out;
}

/** HKDF with HMAC-BLAKE2s, returning n (1..3) 32-byte outputs. */
export function kdf(crypto: Crypto, n: 1 | 2 | 3, key: Uint8Array, input: Uint8Array): Uint8Array[] {
  return crypto.kdf(n, key, input);
}

export const kdf1 = (c: Crypto, key: Uint8Array, input: Uint8Array): Uint8Array => kdf(c, 1, key, input)[0];
export const kdf2 = (c: Crypto, key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array] => {
  const [a, b] = kdf(c, 2, key, input);
  return [a, b];
};
export const kdf3 = (c: Crypto, key: Uint8Array, input: Uint8Array): [Uint8Array, Uint8Array, Uint8Array] => {
  const [a, b, d] = kdf(c, 3, key, input);
  return [a, b, d];
};

export interface ConstructionConstants {
  /** Cᵢ = HASH(construction). */
  chainingKey: Uint8Array;
  /** Hᵢ = HASH(Cᵢ ‖ identifier). */
  hash: Uint8Array;
}

export function constructionConstants(crypto: Crypto): ConstructionConstants {
  const encoder = new TextEncoder();
  const chainingKey = crypto.hash(encoder.encode(NOISE_CONSTRUCTION));
  return { chainingKey, hash: crypto.hash(chainingKey, encoder.encode(WIREGUARD_IDENTIFIER)) };
}
