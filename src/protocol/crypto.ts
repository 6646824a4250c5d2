// The primitives WireGuard uses, behind an interface so the protocol core stays pure and tests
// can substitute them. The default implementation picks, per primitive, the fastest of the
// installed libraries, measured on this project's 2-vCPU build machine (Node 20, OpenSSL 3.0):
//
// - X25519: node:crypto (OpenSSL) on KeyObjects. diffieHellman() takes ~36 µs against ~100 µs
//   for libsodium-wrappers (WebAssembly). Importing a raw public key costs ~9 µs through JWK
//   but ~75 µs through SPKI DER (and ~360 µs for a PKCS#8 private key), so keys cross as JWK.
//   Ephemeral keys are generated as KeyObjects (~40 µs) and never exported as private bytes.
//   A public key used twice in a row (a peer's ephemeral or static key within one handshake)
//   is imported once: KeyObjects are cached per Uint8Array, checked against a copy of its bytes.
// - BLAKE2s-256 HASH and HMAC-BLAKE2s: node:crypto's "blake2s256" (~2 µs / ~3.3 µs per call on
//   100 B) against @noble/hashes (~4.6 µs / ~12.5 µs).
// - Keyed BLAKE2s-128 MAC (mac1, mac2, cookies): @noble/hashes; OpenSSL's BLAKE2SMAC is not
//   reachable from node:crypto and libsodium has no BLAKE2s.
// - ChaCha20-Poly1305 and XChaCha20-Poly1305: libsodium (~0.9 µs to seal 48 B) against
//   createCipheriv (~5.5 µs, per-call object setup dominates small handshake payloads); Node has
//   no XChaCha20 at all.
import {
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomFillSync,
  type KeyObject,
} from 'node:crypto';
import { blake2s } from '@noble/hashes/blake2.js';
import sodium from 'libsodium-wrappers';
import { KEY_LENGTH, MAC_LENGTH } from './constants.js';

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

export const systemRandom: Random = {
  bytes: (length) => randomFillSync(new Uint8Array(length)),
};

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

class NodePrivateKey implements PrivateKey {
  constructor(
    readonly keyObject: KeyObject,
    readonly publicKey: Uint8Array,
  ) {}
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

function chachaNonce(counter: bigint): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, counter, true);
  return nonce;
}

function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

function toBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Imports X25519 public keys, reusing the KeyObject of an array seen before if its bytes are unchanged. */
class PublicKeyCache {
  private readonly cache = new WeakMap<Uint8Array, { bytes: Uint8Array; key: KeyObject }>();

  get(publicKey: Uint8Array): KeyObject {
    const hit = this.cache.get(publicKey);
    if (hit && bytesEqual(hit.bytes, publicKey)) return hit.key;
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(publicKey) }, format: 'jwk' });
    this.cache.set(publicKey, { bytes: Uint8Array.from(publicKey), key });
    return key;
  }
}

/** The default Crypto; resolves once libsodium's WebAssembly module is ready. */
export async function createDefaultCrypto(): Promise<Crypto> {
  await sodium.ready;
  const publicKeys = new PublicKeyCache();
  return {
    importPrivateKey(raw) {
      if (raw.length !== KEY_LENGTH) throw new RangeError(`private key must be ${KEY_LENGTH} bytes, got ${raw.length}`);
      const publicKey = sodium.crypto_scalarmult_base(raw);
      const keyObject = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(raw), x: b64url(publicKey) }, format: 'jwk' });
      return new NodePrivateKey(keyObject, publicKey);
    },
    generateKeypair() {
      const { privateKey, publicKey } = generateKeyPairSync('x25519');
      const x = publicKey.export({ format: 'jwk' }).x as string;
      return new NodePrivateKey(privateKey, toBytes(Buffer.from(x, 'base64url')));
    },
    dh(privateKey, publicKey) {
      if (!(privateKey instanceof NodePrivateKey)) throw new TypeError('private key was not made by this Crypto');
      if (publicKey.length !== KEY_LENGTH) return undefined;
      try {
        const shared = toBytes(diffieHellman({ privateKey: privateKey.keyObject, publicKey: publicKeys.get(publicKey) }));
        return isAllZero(shared) ? undefined : shared;
      } catch {
        // OpenSSL refuses to derive an all-zero secret from a low-order point.
        return undefined;
      }
    },
    hash(...parts) {
      const h = createHash('blake2s256');
      for (const p of parts) h.update(p);
      return toBytes(h.digest());
    },
    hmac(key, data) {
      return toBytes(createHmac('blake2s256', key).update(data).digest());
    },
    mac(key, data) {
      return blake2s(data, { key, dkLen: MAC_LENGTH });
    },
    aeadSeal(key, counter, plaintext, ad) {
      return sodium.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, ad, null, chachaNonce(counter), key);
    },
    aeadOpen(key, counter, ciphertext, ad) {
      try {
        return sodium.crypto_aead_chacha20poly1305_ietf_decrypt(null, ciphertext, ad, chachaNonce(counter), key);
      } catch {
        return undefined;
      }
    },
    xaeadSeal(key, nonce, plaintext, ad) {
      return sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
    },
    xaeadOpen(key, nonce, ciphertext, ad) {
      try {
        return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key);
      } catch {
        return undefined;
      }
    },
  };
}
