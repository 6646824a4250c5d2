// One peer's protocol state: its handshake, cookie, keypairs and timers, tied together the way
// the kernel's send.c and receive.c call into noise.c and timers.c. Every entry point returns the
// actions the caller (the daemon, driving a native data plane) must carry out.
import { KEEPALIVE_TIMEOUT, REJECT_AFTER_TIME, REKEY_AFTER_MESSAGES, REKEY_AFTER_TIME, REKEY_TIMEOUT } from './constants.js';
import { PeerCookie } from './cookie.js';
import type { Crypto, Random } from './crypto.js';
import { endpointEqual, type Endpoint } from './endpoint.js';
import type { IndexTable } from './index-table.js';
import { Keypairs, type Keypair } from './keypairs.js';
import { encodeInitiation, encodeResponse } from './messages.js';
import { Handshake, type HandshakeFailure, type Noise } from './noise.js';
import { PeerTimers, type TimerAction } from './timers.js';
import { secretCopy, secretZeros } from './secret-bytes.js';

export type ProtocolAction =
  /** Send a handshake message (or cookie reply) over UDP. */
  | { type: 'send'; peerId: number | undefined; endpoint: Endpoint; packet: Uint8Array }
  /** Replace the peer's keypair slots in the data plane (undefined slots are empty). */
  | { type: 'keypairs'; peerId: number; previous: Keypair | undefined; current: Keypair | undefined; next: Keypair | undefined }
  /**
   * Send the packets staged for the peer, or one keepalive (empty data message) if none are
   * staged. Without a usable keypair the data plane stages it and calls needHandshake (kernel
   * wg_packet_send_keepalive + wg_packet_send_staged_packets).
   */
  | { type: 'sendKeepalive'; peerId: number }
  /** Send the packets staged for the peer, if any (a session was just confirmed). */
  | { type: 'sendStaged'; peerId: number }
  /** Drop the packets staged for the peer: the handshake gave up. */
  | { type: 'dropStaged'; peerId: number }
  /** The peer's endpoint changed (learnt from an authenticated handshake message). */
  | { type: 'endpoint'; peerId: number; endpoint: Endpoint };

export interface PeerConfig {
  publicKey: Uint8Array;
  presharedKey?: Uint8Array;
  endpoint?: Endpoint;
  /** Seconds; 0 or absent disables it. */
  persistentKeepalive?: number;
}

/** Packet activity the data plane observed, in aggregate: the latest time (monotonic ms) of each kind; undefined or 0 = never. */
export interface PeerActivity {
  /** Last authenticated message sent (data or keepalive). */
  lastSent?: number;
  /** Last data message sent that was not a keepalive. */
  lastDataSent?: number;
  /** Last authenticated message received (data or keepalive). */
  lastReceived?: number;
  /** Last data message received that was not a keepalive. */
  lastDataReceived?: number;
  /** The current keypair's next send counter as the data plane counts it. */
  sendCounter?: bigint;
}

/** Shared device state every peer uses; owned by ProtocolDevice. */
export interface PeerContext {
  readonly crypto: Crypto;
  readonly random: Random;
  readonly noise: Noise;
  readonly indexTable: IndexTable;
  readonly wallClock: () => number;
  readonly countDrop: (reason: HandshakeFailure | 'noEndpoint') => void;
}

export class Peer {
  readonly handshake: Handshake;
  readonly cookie: PeerCookie;
  readonly keypairs: Keypairs;
  readonly timers: PeerTimers;
  endpoint: Endpoint | undefined;
  /** Monotonic ms of the last handshake message we sent (initiations are limited to one per REKEY_TIMEOUT). */
  lastSentHandshake: number | undefined;
  /** Wall-clock ms of the last completed handshake (for `latest handshake`), undefined if none. */
  lastHandshakeWallMs: number | undefined;
  private readonly seen: Required<Omit<PeerActivity, 'sendCounter'>> = { lastSent: -Infinity, lastDataSent: -Infinity, lastReceived: -Infinity, lastDataReceived: -Infinity };

  constructor(
    readonly id: number,
    readonly publicKey: Uint8Array,
    private readonly ctx: PeerContext,
  ) {
    this.handshake = new Handshake(publicKey);
    this.cookie = new PeerCookie(ctx.crypto, publicKey);
    this.keypairs = new Keypairs((k) => ctx.indexTable.release(k.localIndex));
    this.timers = new PeerTimers(ctx.random);
    const identity = ctx.noise.getIdentity();
    this.handshake.precompute(ctx.crypto, identity);
  }

  setPresharedKey(key: Uint8Array | undefined): void {
    this.handshake.presharedKey.fill(0);
    this.handshake.presharedKey = key ? secretCopy(key) : secretZeros(32);
  }

  setEndpoint(endpoint: Endpoint | undefined): void {
    this.endpoint = endpoint;
  }

  setPersistentKeepalive(seconds: number, now: number): ProtocolAction[] {
    return this.timerActions(this.timers.persistentKeepaliveChanged(seconds * 1000), now);
  }

  /** The data plane wants to send but has no usable keypair (packets are staged). */
  needHandshake(now: number): ProtocolAction[] {
    return this.sendInitiation(now, false);
  }

  /**
   * The first data message authenticated with keypair `localIndex` arrived (kernel
   * wg_noise_received_with_keypair): promotes `next` to `current` when it confirms it.
   */
  confirmKeypair(localIndex: number, now: number): ProtocolAction[] {
    if (!this.keypairs.receivedWith(localIndex)) return [];
    this.timers.handshakeComplete(now);
    this.lastHandshakeWallMs = this.ctx.wallClock();
    return [this.keypairsAction(), { type: 'sendStaged', peerId: this.id }];
  }

  /** An authenticated data message (keepalive when !isData) was sent at `at`. */
  packetSent(at: number, isData: boolean, now: number): ProtocolAction[] {
    this.timers.anyAuthenticatedPacketTraversal(at);
    this.timers.anyAuthenticatedPacketSent(at);
    if (isData) this.timers.dataSent(at);
    return this.keepKeyFreshAfterSend(now);
  }

  /** An authenticated data message (keepalive when !isData) was received at `at`. */
  packetReceived(at: number, isData: boolean, now: number): ProtocolAction[] {
    const actions = this.keepKeyFreshAfterReceive(now);
    this.timers.anyAuthenticatedPacketReceived(at);
    this.timers.anyAuthenticatedPacketTraversal(at);
    if (isData) this.timers.dataReceived(at);
    return actions;
  }

  /** Feeds aggregate activity read from the data plane; changed timestamps replay in time order. */
  observe(activity: PeerActivity, now: number): ProtocolAction[] {
    const current = this.keypairs.current;
    if (current && activity.sendCounter !== undefined && activity.sendCounter > current.sendCounter) current.sendCounter = activity.sendCounter;
    const events: { at: number; received: boolean; isData: boolean }[] = [];
    const fresh = (key: keyof typeof this.seen): number | undefined => {
      const at = activity[key];
      if (at === undefined || at <= 0 || at <= this.seen[key]) return undefined;
      this.seen[key] = at;
      return at;
    };
    const sent = fresh('lastSent');
    const dataSent = fresh('lastDataSent');
    const received = fresh('lastReceived');
    const dataReceived = fresh('lastDataReceived');
    if (received !== undefined && received !== dataReceived) events.push({ at: received, received: true, isData: false });
    if (dataReceived !== undefined) events.push({ at: dataReceived, received: true, isData: true });
    if (sent !== undefined && sent !== dataSent) events.push({ at: sent, received: false, isData: false });
    if (dataSent !== undefined) events.push({ at: dataSent, received: false, isData: true });
    // Stable sort: at equal times a reception comes before the send it may have caused.
    events.sort((a, b) => a.at - b.at);
    const actions: ProtocolAction[] = [];
    for (const e of events) actions.push(...(e.received ? this.packetReceived(e.at, e.isData, now) : this.packetSent(e.at, e.isData, now)));
    return actions;
  }

  /** Fires due timers and drops keypairs past REJECT_AFTER_TIME. */
  tick(now: number): ProtocolAction[] {
    const actions: ProtocolAction[] = [];
    if (this.keypairs.expire(now)) actions.push(this.keypairsAction());
    actions.push(...this.timerActions(this.timers.tick(now), now));
    return actions;
  }

  nextDeadline(): number | undefined {
    const timer = this.timers.nextDeadline();
    let expiry: number | undefined;
    for (const k of [this.keypairs.previous, this.keypairs.current, this.keypairs.next]) {
      if (k && (expiry === undefined || k.createdAt + REJECT_AFTER_TIME < expiry)) expiry = k.createdAt + REJECT_AFTER_TIME;
    }
    if (timer === undefined) return expiry;
    return expiry === undefined ? timer : Math.min(timer, expiry);
  }

  /**
   * Sends a handshake initiation (kernel wg_packet_send_queued_handshake_initiation): at most one
   * per REKEY_TIMEOUT; a non-retry restarts the count of attempts.
   */
  sendInitiation(now: number, retry: boolean): ProtocolAction[] {
    if (!retry) this.timers.resetAttempts();
    if (this.lastSentHandshake !== undefined && now - this.lastSentHandshake < REKEY_TIMEOUT) return [];
    const created = this.ctx.noise.createInitiation(this.handshake, this.id, this.ctx.wallClock());
    if (!created.ok) {
      this.ctx.countDrop(created.reason);
      return [];
    }
    const packet = encodeInitiation(created.value);
    this.cookie.addMacs(packet, now);
    this.timers.anyAuthenticatedPacketTraversal(now);
    this.timers.anyAuthenticatedPacketSent(now);
    this.lastSentHandshake = now;
    this.timers.handshakeInitiated(now);
    return this.sendTo(packet);
  }

  /** After consuming an initiation from this peer: answer it and derive the (unconfirmed) keypair. */
  respond(source: Endpoint, now: number): ProtocolAction[] {
    const actions = this.learnEndpoint(source);
    const created = this.ctx.noise.createResponse(this.handshake, this.id);
    if (!created.ok) {
      this.ctx.countDrop(created.reason);
      return actions;
    }
    const packet = encodeResponse(created.value);
    this.cookie.addMacs(packet, now);
    this.lastSentHandshake = now;
    const keypair = this.ctx.noise.beginSession(this.handshake, now);
    if (keypair) {
      this.keypairs.add(keypair);
      this.timers.sessionDerived(now);
      actions.push(this.keypairsAction());
    }
    this.timers.anyAuthenticatedPacketTraversal(now);
    this.timers.anyAuthenticatedPacketSent(now);
    actions.push(...this.sendTo(packet));
    this.handshakeMessageReceived(now);
    return actions;
  }

  /** After consuming a response from this peer: the session is usable at once. */
  completeAsInitiator(source: Endpoint, now: number): ProtocolAction[] {
    const actions = this.learnEndpoint(source);
    const keypair = this.ctx.noise.beginSession(this.handshake, now);
    if (keypair) {
      this.keypairs.add(keypair);
      this.timers.sessionDerived(now);
      this.timers.handshakeComplete(now);
      this.lastHandshakeWallMs = this.ctx.wallClock();
      actions.push(this.keypairsAction(), { type: 'sendKeepalive', peerId: this.id });
    }
    this.handshakeMessageReceived(now);
    return actions;
  }

  /** Forgets every key: handshake in progress and keypairs (timer zeroKeys, peer removal, key change). */
  zeroKeys(): ProtocolAction[] {
    this.handshake.clear(this.ctx.indexTable);
    this.keypairs.clear();
    return [this.keypairsAction()];
  }

  keypairsAction(): ProtocolAction {
    const { previous, current, next } = this.keypairs;
    return { type: 'keypairs', peerId: this.id, previous, current, next };
  }

  private handshakeMessageReceived(now: number): void {
    this.timers.anyAuthenticatedPacketReceived(now);
    this.timers.anyAuthenticatedPacketTraversal(now);
  }

  private learnEndpoint(source: Endpoint): ProtocolAction[] {
    if (endpointEqual(this.endpoint, source)) return [];
    this.endpoint = source;
    return [{ type: 'endpoint', peerId: this.id, endpoint: source }];
  }

  private sendTo(packet: Uint8Array): ProtocolAction[] {
    if (!this.endpoint) {
      this.ctx.countDrop('noEndpoint');
      return [];
    }
    return [{ type: 'send', peerId: this.id, endpoint: this.endpoint, packet }];
  }

  // kernel send.c keep_key_fresh: the initiator rekeys after REKEY_AFTER_TIME, anyone after REKEY_AFTER_MESSAGES.
  private keepKeyFreshAfterSend(now: number): ProtocolAction[] {
    const k = this.keypairs.current;
    if (!k) return [];
    if (k.sendCounter > REKEY_AFTER_MESSAGES || (k.isInitiator && now - k.createdAt >= REKEY_AFTER_TIME)) return this.sendInitiation(now, false);
    return [];
  }

  // kernel receive.c keep_key_fresh: an initiator still receiving on a keypair that is about to
  // be rejected rekeys once, so the session does not lapse while only the other side sends.
  private keepKeyFreshAfterReceive(now: number): ProtocolAction[] {
    if (this.timers.sentLastMinuteHandshake) return [];
    const k = this.keypairs.current;
    if (!k || !k.isInitiator || now - k.createdAt < REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) return [];
    this.timers.sentLastMinuteHandshake = true;
    return this.sendInitiation(now, false);
  }

  private timerActions(timerActions: TimerAction[], now: number): ProtocolAction[] {
    const actions: ProtocolAction[] = [];
    for (const a of timerActions) {
      switch (a.type) {
        case 'sendInitiation':
          actions.push(...this.sendInitiation(now, a.retry));
          break;
        case 'sendKeepalive':
          actions.push({ type: 'sendKeepalive', peerId: this.id });
          break;
        case 'dropStaged':
          actions.push({ type: 'dropStaged', peerId: this.id });
          break;
        case 'zeroKeys':
          actions.push(...this.zeroKeys());
          break;
      }
    }
    return actions;
  }
}
