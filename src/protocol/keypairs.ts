// A peer's session keys: the previous, current and next keypair, with the kernel's slot rules
// (drivers/net/wireguard/noise.c add_new_keypair, wg_noise_received_with_keypair) and the
// whitepaper's limits on a keypair's age and message count.
import { REJECT_AFTER_MESSAGES, REJECT_AFTER_TIME } from './constants.js';

export interface Keypair {
  /** Our index: data messages sent to us carry it as their receiver index. */
  readonly localIndex: number;
  /** The peer's index: our data messages carry it. */
  readonly remoteIndex: number;
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
  readonly isInitiator: boolean;
  /** Monotonic ms when the keypair was derived. */
  readonly createdAt: number;
  /** The nonce of the next data message sent with this keypair. */
  sendCounter: bigint;
}

export type KeypairSlot = 'previous' | 'current' | 'next';

export function keypairExpired(keypair: Keypair, now: number): boolean {
  return now - keypair.createdAt >= REJECT_AFTER_TIME;
}

/** The counter to seal the next data message with, or undefined when the keypair may no longer send. */
export function takeSendCounter(keypair: Keypair, now: number): bigint | undefined {
  if (keypairExpired(keypair, now) || keypair.sendCounter >= REJECT_AFTER_MESSAGES) return undefined;
  return keypair.sendCounter++;
}

/** Whether a received counter may still be accepted under this keypair. */
export function receiveAllowed(keypair: Keypair, counter: bigint, now: number): boolean {
  return !keypairExpired(keypair, now) && counter < REJECT_AFTER_MESSAGES;
}

export class Keypairs {
  previous: Keypair | undefined;
  current: Keypair | undefined;
  next: Keypair | undefined;

  /** Called for every keypair dropped from the slots, to free its index and zero its keys. */
  constructor(private readonly onDestroy: (keypair: Keypair) => void) {}

  /**
   * Installs a freshly derived keypair. The initiator may use it at once (it has seen the
   * responder's reply); the responder parks it in `next` until the first data message arrives
   * under it, which confirms that the initiator derived the same keys.
   */
  add(keypair: Keypair): void {
    const { previous, current, next } = this;
    if (keypair.isInitiator) {
      if (next) {
        // As the kernel does, an unconfirmed next keypair becomes previous rather than being
        // thrown away, and current is dropped.
        this.next = undefined;
        this.previous = next;
        this.destroy(current);
      } else {
        this.previous = current;
      }
      this.destroy(previous);
      this.current = keypair;
    } else {
      this.next = keypair;
      this.destroy(next);
      this.previous = undefined;
      this.destroy(previous);
    }
  }

  /**
   * Called when a data message was authenticated with the keypair of this local index. True when
   * that confirmed the next keypair, which then becomes current (the handshake is complete).
   */
  receivedWith(localIndex: number): boolean {
    const next = this.next;
    if (!next || next.localIndex !== localIndex) return false;
    this.destroy(this.previous);
    this.previous = this.current;
    this.current = next;
    this.next = undefined;
    return true;
  }

  lookup(localIndex: number): Keypair | undefined {
    for (const k of [this.current, this.previous, this.next]) if (k && k.localIndex === localIndex) return k;
    return undefined;
  }

  /** Drops keypairs past REJECT_AFTER_TIME; true when any was dropped. */
  expire(now: number): boolean {
    let changed = false;
    for (const slot of ['previous', 'current', 'next'] as const) {
      const k = this[slot];
      if (k && keypairExpired(k, now)) {
        this[slot] = undefined;
        this.destroy(k);
        changed = true;
      }
    }
    return changed;
  }

  /** The keypair to send with, if it may still send. */
  sendable(now: number): Keypair | undefined {
    const k = this.current;
    return k && !keypairExpired(k, now) && k.sendCounter < REJECT_AFTER_MESSAGES ? k : undefined;
  }

  clear(): void {
    for (const slot of ['previous', 'current', 'next'] as const) {
      this.destroy(this[slot]);
      this[slot] = undefined;
    }
  }

  private destroy(keypair: Keypair | undefined): void {
    if (!keypair) return;
    keypair.sendKey.fill(0);
    keypair.receiveKey.fill(0);
    this.onDestroy(keypair);
  }
}
