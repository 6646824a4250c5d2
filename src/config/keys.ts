// WireGuard keys (32 bytes) in their two text forms: base64 for config files and `wg`, lowercase
// hex for the UAPI. Validation is as strict as wireguard-tools' src/encoding.c: base64 is exactly
// 43 characters plus one '=', and the last character must carry no stray low bits; hex is exactly
// 64 characters (either case, as wireguard-go's hex decoding accepts).
import { timingSafeEqual } from 'node:crypto';
import { secretCopy, secretZeros } from '../protocol/secret-bytes.js';

export const KEY_LENGTH = 32;

// 42 free characters, then one whose low 2 bits are zero (the 32nd byte ends there), then '='.
const BASE64_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;

export function keyFromBase64(text: string): Uint8Array | undefined {
  if (!BASE64_KEY.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function keyFromHex(text: string): Uint8Array | undefined {
  if (!HEX_KEY.test(text)) return undefined;
  // Decoded straight into its own memory: Buffer.from(text, 'hex') would leave a copy in
  // Node's shared pool, out of reach of the caller's fill(0).
  const key = secretZeros(KEY_LENGTH);
  Buffer.from(key.buffer).write(text, 'hex');
  return key;
}

export function keyToBase64(key: Uint8Array): string {
  return Buffer.from(checkKey(key)).toString('base64');
}

export function keyToHex(key: Uint8Array): string {
  return Buffer.from(checkKey(key)).toString('hex');
}

export function isZeroKey(key: Uint8Array): boolean {
  let acc = 0;
  for (const byte of checkKey(key)) acc |= byte;
  return acc === 0;
}

/**
 * A private key as X25519 uses it (RFC 7748 clamping), which is what the kernel and wireguard-go
 * store and report back; the all-zero key (meaning "none") is left as it is.
 */
export function clampPrivateKey(key: Uint8Array): Uint8Array {
  if (isZeroKey(key)) return key;
  const clamped = secretCopy(key);
  clamped[0] &= 248;
  clamped[31] = (clamped[31] & 127) | 64;
  return clamped;
}

/** Constant-time comparison of two keys. */
export function keysEqual(a: Uint8Array, b: Uint8Array): boolean {
  return timingSafeEqual(checkKey(a), checkKey(b));
}

function checkKey(key: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array)) throw new TypeError('a key must be a Uint8Array');
  if (key.length !== KEY_LENGTH) throw new RangeError(`a key must be ${KEY_LENGTH} bytes, got ${key.length}`);
  return key;
}
