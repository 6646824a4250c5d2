// The per-peer timers of whitepaper §6 as a pure state machine, shaped after the kernel's
// drivers/net/wireguard/timers.c: the same event names, the same five timers, each held as a
// deadline (monotonic ms) instead of a kernel timer. Events carry the time they happened, so a
// caller that learns of packets only in aggregate (timestamps read on a tick) can replay them in
// order; tick(now) fires every deadline reached and returns what the peer must do.
import {
  KEEPALIVE_TIMEOUT,
  MAX_TIMER_HANDSHAKES,
  REKEY_TIMEOUT,
  REKEY_TIMEOUT_JITTER_MAX,
  ZERO_KEYS_AFTER_TIME,
} from './constants.js';
import { randomBelow, type Random } from './crypto.js';

export type TimerAction =
  /** Send a handshake initiation; `retry` keeps counting attempts toward giving up. */
  | { type: 'sendInitiation'; retry: boolean }
  /** Send staged packets, or an empty (keepalive) data message when none are staged. */
  | { type: 'sendKeepalive' }
  /**
   * A retransmission is due: forget the local address the peer's packets leave from, in case it
   * is what keeps the handshake from completing (kernel wg_socket_clear_peer_endpoint_src).
   */
  | { type: 'clearEndpointSource' }
  /** The handshake did not complete in time: drop the packets staged for it. */
  | { type: 'dropStaged' }
  /** No new session for 3 × REJECT_AFTER_TIME: forget every key of the peer. */
  | { type: 'zeroKeys' };

type TimerName = 'retransmitHandshake' | 'sendKeepalive' | 'newHandshake' | 'zeroKeyMaterial' | 'persistentKeepalive';
const TIMER_NAMES: readonly TimerName[] = ['retransmitHandshake', 'sendKeepalive', 'newHandshake', 'zeroKeyMaterial', 'persistentKeepalive'];

export class PeerTimers {
  /** Pending deadlines (monotonic ms); a missing entry is a stopped timer. */
  readonly deadlines = new Map<TimerName, number>();
  handshakeAttempts = 0;
  needAnotherKeepalive = false;
  persistentKeepaliveInterval = 0;

  constructor(private readonly random: Random) {}

  private jitter(): number {
    return randomBelow(this.random, REKEY_TIMEOUT_JITTER_MAX);
  }

  /** After an authenticated data message (not a keepalive) was sent. */
  dataSent(at: number): void {
    if (!this.deadlines.has('newHandshake')) this.deadlines.set('newHandshake', at + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + this.jitter());
  }

  /** After an authenticated data message (not a keepalive) was received. */
  dataReceived(at: number): void {
    if (!this.deadlines.has('sendKeepalive')) this.deadlines.set('sendKeepalive', at + KEEPALIVE_TIMEOUT);
    else this.needAnotherKeepalive = true;
  }

  /** After any authenticated message (data, keepalive or handshake) was sent. */
  anyAuthenticatedPacketSent(_at: number): void {
    this.deadlines.delete('sendKeepalive');
  }

  /** After any authenticated message was received. */
  anyAuthenticatedPacketReceived(_at: number): void {
    this.deadlines.delete('newHandshake');
  }

  /** Before an authenticated message is sent or after one is received. */
  anyAuthenticatedPacketTraversal(at: number): void {
    if (this.persistentKeepaliveInterval > 0) this.deadlines.set('persistentKeepalive', at + this.persistentKeepaliveInterval);
  }

  /** After a handshake initiation was sent. */
  handshakeInitiated(at: number): void {
    this.deadlines.set('retransmitHandshake', at + REKEY_TIMEOUT + this.jitter());
  }

  /** After a response was consumed, or the first data message confirmed the responder's keypair. */
  handshakeComplete(_at: number): void {
    this.deadlines.delete('retransmitHandshake');
    this.handshakeAttempts = 0;
  }

  /** After a keypair was derived (sending a response or consuming one). */
  sessionDerived(at: number): void {
    this.deadlines.set('zeroKeyMaterial', at + ZERO_KEYS_AFTER_TIME);
  }

  /**
   * A new persistent keepalive interval (ms, 0 = off). As the kernel's netlink set_peer, turning it
   * on from off sends a keepalive at once; the timer itself is armed by the next traversal.
   */
  persistentKeepaliveChanged(intervalMs: number): TimerAction[] {
    const turnedOn = this.persistentKeepaliveInterval === 0 && intervalMs > 0;
    this.persistentKeepaliveInterval = intervalMs;
    if (intervalMs === 0) this.deadlines.delete('persistentKeepalive');
    return turnedOn ? [{ type: 'sendKeepalive' }] : [];
  }

  /** A new initiation not caused by the retransmit timer starts a fresh series of attempts. */
  resetAttempts(): void {
    this.handshakeAttempts = 0;
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const d of this.deadlines.values()) if (next === undefined || d < next) next = d;
    return next;
  }

  /** Fires, in deadline order, every timer due at `now`. */
  tick(now: number): TimerAction[] {
    const actions: TimerAction[] = [];
    for (;;) {
      let due: TimerName | undefined;
      for (const name of TIMER_NAMES) {
        const d = this.deadlines.get(name);
        if (d !== undefined && d <= now && (due === undefined || d < (this.deadlines.get(due) as number))) due = name;
      }
      if (due === undefined) return actions;
      const at = this.deadlines.get(due) as number;
      this.deadlines.delete(due);
      this.expire(due, at, actions);
    }
  }

  /** Stops every timer (peer removed or device down). */
  stop(): void {
    this.deadlines.clear();
    this.needAnotherKeepalive = false;
  }

  private expire(name: TimerName, at: number, actions: TimerAction[]): void {
    switch (name) {
      case 'retransmitHandshake':
        if (this.handshakeAttempts > MAX_TIMER_HANDSHAKES) {
          this.deadlines.delete('sendKeepalive');
          actions.push({ type: 'dropStaged' });
          if (!this.deadlines.has('zeroKeyMaterial')) this.deadlines.set('zeroKeyMaterial', at + ZERO_KEYS_AFTER_TIME);
        } else {
          this.handshakeAttempts++;
          actions.push({ type: 'clearEndpointSource' }, { type: 'sendInitiation', retry: true });
        }
        return;
      case 'sendKeepalive':
        actions.push({ type: 'sendKeepalive' });
        if (this.needAnotherKeepalive) {
          this.needAnotherKeepalive = false;
          this.deadlines.set('sendKeepalive', at + KEEPALIVE_TIMEOUT);
        }
        return;
      case 'newHandshake':
        actions.push({ type: 'sendInitiation', retry: false });
        return;
      case 'zeroKeyMaterial':
        actions.push({ type: 'zeroKeys' });
        return;
      case 'persistentKeepalive':
        if (this.persistentKeepaliveInterval > 0) actions.push({ type: 'sendKeepalive' });
        return;
    }
  }
}
