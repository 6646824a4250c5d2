// A test double of the native data plane's keypair handling, for the TypeScript "data planes"
// of the protocol tests: the slots rotated as native/keypair.h (kernel add_new_keypair,
// wg_noise_received_with_keypair), the send counter, and the data-driven rekey triggers of
// native/datapath_send.cc and datapath_receive.cc (kernel keep_key_fresh) that end in the core's
// needHandshake.
import { KEEPALIVE_TIMEOUT, REJECT_AFTER_MESSAGES, REJECT_AFTER_TIME, REKEY_AFTER_MESSAGES, REKEY_AFTER_TIME, REKEY_TIMEOUT } from '../../../src/protocol/constants.js';
import type { Keypair } from '../../../src/protocol/keypairs.js';

export interface SimKeypair extends Keypair {
  /** The nonce of the next data message sent with this keypair. */
  sendCounter: bigint;
}

export class SimKeypairSlots {
  previous: SimKeypair | undefined;
  current: SimKeypair | undefined;
  next: SimKeypair | undefined;
  private lastMinuteHandshakeSent = false;

  install(keys: Keypair): SimKeypair {
    const keypair: SimKeypair = { ...keys, sendCounter: 0n };
    if (keypair.isInitiator) {
      if (this.next) {
        this.previous = this.next;
        this.next = undefined;
      } else {
        this.previous = this.current;
      }
      this.current = keypair;
    } else {
      this.next = keypair;
      this.previous = undefined;
    }
    this.lastMinuteHandshakeSent = false;
    return keypair;
  }

  clear(): void {
    this.previous = this.current = this.next = undefined;
  }

  find(localIndex: number): SimKeypair | undefined {
    return [this.current, this.previous, this.next].find((k) => k?.localIndex === localIndex);
  }

  /**
   * The keypair and counter to seal the next message with, and whether to ask for a new
   * handshake; undefined (and a handshake is due) when no session may send.
   */
  takeSendCounter(now: number): { keypair: SimKeypair; counter: bigint; rekey: boolean } | undefined {
    const keypair = this.current;
    if (!keypair || expired(keypair, now) || keypair.sendCounter >= REJECT_AFTER_MESSAGES) return undefined;
    const counter = keypair.sendCounter++;
    const rekey = counter >= REKEY_AFTER_MESSAGES || (keypair.isInitiator && now - keypair.createdAt >= REKEY_AFTER_TIME);
    return { keypair, counter, rekey };
  }

  receiveAllowed(keypair: SimKeypair, counter: bigint, now: number): boolean {
    return !expired(keypair, now) && counter < REJECT_AFTER_MESSAGES;
  }

  /**
   * After a message authenticated with keypair: whether it confirmed `next` (now current), and
   * whether an initiator nearing REJECT_AFTER_TIME should ask for a handshake (once).
   */
  receivedWith(keypair: SimKeypair, now: number): { confirmed: boolean; rekey: boolean } {
    const confirmed = keypair === this.next;
    if (confirmed) {
      this.previous = this.current;
      this.current = keypair;
      this.next = undefined;
      return { confirmed, rekey: false };
    }
    const current = this.current;
    const rekey =
      current !== undefined &&
      current.isInitiator &&
      !this.lastMinuteHandshakeSent &&
      now - current.createdAt >= REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT;
    if (rekey) this.lastMinuteHandshakeSent = true;
    return { confirmed, rekey };
  }
}

function expired(keypair: Keypair, now: number): boolean {
  return now - keypair.createdAt >= REJECT_AFTER_TIME;
}
