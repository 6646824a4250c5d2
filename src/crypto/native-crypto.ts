// The Crypto of the addon: X25519 through the OpenSSL that Node embeds, with private keys held
// in C++ (native/x25519.h), and BLAKE2s, HMAC-BLAKE2s and the keyed MAC in native code; the
// AEADs stay on libsodium (sodium-aead.ts), which is faster for handshake-sized payloads.
import { blake2sHash, blake2sMac, hkdfBlake2s, hmacBlake2s, X25519Key } from '../native/handshake-crypto.js';
import { loadNative } from '../native/loader.js';
import { KEY_LENGTH, MAC_LENGTH } from '../protocol/constants.js';
import type { Crypto } from '../protocol/crypto.js';
import { createSodiumAead } from './sodium-aead.js';

/** The addon's Crypto; throws when the addon does not load. */
export async function createNativeCrypto(): Promise<Crypto> {
  // Fail here, not at the first handshake, when the addon is missing or predates these exports.
  if (typeof loadNative().X25519Key !== 'function') throw new Error('viaguard: the native addon has no X25519Key; rebuild it');
  const aead = await createSodiumAead();
  return {
    ...aead,
    importPrivateKey(raw) {
      if (raw.length !== KEY_LENGTH) throw new RangeError(`private key must be ${KEY_LENGTH} bytes, got ${raw.length}`);
      return X25519Key.fromPrivate(raw);
    },
    generateKeypair() {
      return X25519Key.generate();
    },
    dh(privateKey, publicKey) {
      if (!(privateKey instanceof X25519Key)) throw new TypeError('private key was not made by this Crypto');
      if (publicKey.length !== KEY_LENGTH) return undefined;
      return privateKey.dh(publicKey);
    },
    hash: blake2sHash,
    hmac: hmacBlake2s,
    kdf: (n, key, input) => hkdfBlake2s(key, input, n),
    mac(key, data) {
      return blake2sMac(key, data, MAC_LENGTH);
    },
  };
}
