// Which handshake Crypto the daemon uses, decided once per process, outside the protocol core:
// the addon's (native-crypto.ts: X25519 and BLAKE2s in C++; a responder answers ~4x as many
// handshakes per second, see bench:handshake) or, when the addon cannot provide it, the one
// built on node:crypto, @noble/hashes and libsodium (js-crypto.ts). A fallback is logged with
// its reason, since it costs handshake throughput.
import type { Logger } from '../log.js';
import type { Crypto } from '../protocol/crypto.js';
import { createJsCrypto } from './js-crypto.js';
import { createNativeCrypto } from './native-crypto.js';

/** The native Crypto, else the JavaScript one, logging why the native one was not used. */
export async function selectCrypto(
  log: Logger,
  native: () => Promise<Crypto> = createNativeCrypto,
  javascript: () => Promise<Crypto> = createJsCrypto,
): Promise<Crypto> {
  try {
    return await native();
  } catch (error) {
    log.error(`native handshake crypto unavailable, falling back to the slower JavaScript implementation: ${(error as Error).message}`);
    return javascript();
  }
}

let chosen: Promise<Crypto> | undefined;

/** selectCrypto's answer, chosen at the first call and shared by every interface of the process. */
export function processCrypto(log: Logger): Promise<Crypto> {
  chosen ??= selectCrypto(log);
  return chosen;
}
