// Curve25519 public keys from private keys, as `wg pubkey` and `wg show` derive them (the private
// key is clamped first, RFC 7748). OpenSSL through node:crypto does the scalar multiplication.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { KEY_LENGTH } from './keys.js';

// PKCS#8 wrapping of a raw X25519 private key (RFC 8410): the fixed DER header, then 32 bytes.
const PKCS8_X25519_HEADER = Buffer.from('302e020100300506032b656e04220420', 'hex');

export function publicKeyFromPrivate(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== KEY_LENGTH) throw new RangeError(`a private key is ${KEY_LENGTH} bytes, got ${privateKey.length}`);
  const der = Buffer.concat([PKCS8_X25519_HEADER, privateKey]);
  const jwk = createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
  return new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
}
