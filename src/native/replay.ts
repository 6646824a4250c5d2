// Typed wrapper of the native anti-replay window (native/replay.h): counters are bigints in
// [0, 2^64), checked here before they reach C++.
import { loadNative } from './loader.js';
import type { NativeReplayWindow } from './native.js';
import { checkU64 } from '../checks.js';
import { REJECT_AFTER_MESSAGES } from '../protocol/constants.js';

/** How far behind the newest counter a packet may still arrive (native/replay.h: 127 words of 64 bits). */
export const REPLAY_WINDOW_SIZE = Number(loadNative().protocolConstants.REPLAY_WINDOW_SIZE);

/** The receive-side replay filter of one session key (RFC 6479, the kernel's window rule). */
export class ReplayWindow {
  readonly #native: NativeReplayWindow;

  constructor() {
    this.#native = new (loadNative().ReplayWindow)();
  }

  /**
   * Records counter and returns true when it is below limit (default REJECT_AFTER_MESSAGES),
   * at most REPLAY_WINDOW_SIZE behind the newest accepted counter, and not seen before.
   * Call it only for packets that authenticated.
   */
  accept(counter: bigint, limit: bigint = REJECT_AFTER_MESSAGES): boolean {
    return this.#native.accept(checkU64(counter, 'counter'), checkU64(limit, 'limit'));
  }

  /** Forgets every counter, as for a fresh key. */
  reset(): void {
    this.#native.reset();
  }
}
