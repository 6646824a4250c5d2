// The Crypto of node:crypto, @noble/hashes and libsodium, with no addon: the fallback when the
// addon does not load, and the independent reference the native Crypto is tested against.
// Per primitive, the fastest of those libraries, measured on the 2-vCPU build machine (Node 20,
// OpenSSL 3.0):
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
// - AEADs: libsodium (sodium-aead.ts).
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { blake2s } from '@noble/hashes/blake2.js';
import sodium from 'libsodium-wrappers';
import { KEY_LENGTH, MAC_LENGTH } from '../protocol/constants.js';
import type { Crypto, PrivateKey } from '../protocol/crypto.js';
import { hkdfFromHmac } from '../protocol/kdf.js';
import { createSodiumAead } from './sodium-aead.js';

class NodePrivateKey implements PrivateKey {
  constructor(
    readonly keyObject: KeyObject,
    readonly publicKey: Uint8Array,
  ) {}
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

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

function hmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  return toBytes(createHmac('blake2s256', key).update(data).digest());
}

/**
 * generateKeyPairSync returning the public key as SPKI DER (its last 32 bytes are the raw key)
 * and the private key as a KeyObject, a combination @types/node has no overload for. Exporting
 * the public KeyObject afterwards instead (publicKey.export) deadlocks Node 20 now and then:
 * ExportJWK holds the key's mutex while it allocates, and a GC that collects the generation job
 * then waits on that same mutex in the job's destructor (seen in bench:handshake; a loop of
 * generate + export hangs within 200,000 keys here, the DER form ran 300,000).
 */
const generateX25519WithDerPublicKey = generateKeyPairSync as unknown as (
  type: 'x25519',
  options: { publicKeyEncoding: { type: 'spki'; format: 'der' } },
) => { publicKey: Buffer; privateKey: KeyObject };

/** The Crypto without the addon; resolves once libsodium's WebAssembly module is ready. */
export async function createJsCrypto(): Promise<Crypto> {
  const aead = await createSodiumAead();
  const publicKeys = new PublicKeyCache();
  return {
    ...aead,
    importPrivateKey(raw) {
      if (raw.length !== KEY_LENGTH) throw new RangeError(`private key must be ${KEY_LENGTH} bytes, got ${raw.length}`);
      const publicKey = sodium.crypto_scalarmult_base(raw);
      const keyObject = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(raw), x: b64url(publicKey) }, format: 'jwk' });
      return new NodePrivateKey(keyObject, publicKey);
    },
    generateKeypair() {
      const { privateKey, publicKey } = generateX25519WithDerPublicKey('x25519', { publicKeyEncoding: { type: 'spki', format: 'der' } });
      return new NodePrivateKey(privateKey, toBytes(publicKey.subarray(publicKey.length - KEY_LENGTH)));
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
    hmac,
    kdf: (n, key, input) => hkdfFromHmac(hmac, n, key, input),
    mac(key, data) {
      return blake2s(data, { key, dkLen: MAC_LENGTH });
    },
  };
}
