// One peer's protocol state: its handshake, cookie and timers, tied together the way the
// kernel's send.c and receive.c call into noise.c and timers.c. The session keys it derives go
// to the data plane, which owns the keypair slots and asks for a handshake (needHandshake) when
// a session ages or runs out of messages. Every entry point returns the actions the caller
// (the daemon, driving a native data plane) must carry out.
import { REKEY_TIMEOUT } from './constants.js';
import { PeerCookie } from './cookie.js';
import type { Crypto, Random } from './crypto.js';
import { endpointEqual } from './endpoint.js';
import type { IpEndpoint } from '../config/endpoint.js';
import type { IndexTable } from './index-table.js';
import type { Keypair } from './keypairs.js';
import { encodeInitiation, encodeResponse } from './messages.js';
import { Handshake, type HandshakeFailure, type Noise } from './noise.js';
import { PeerTimers, type TimerAction } from './timers.js';
import { secretCopy, secretZeros } from './secret-bytes.js';

export type ProtocolAction =
  /** Send a handshake message (or cookie reply) over UDP. */
  | { type: 'send'; peerId: number | undefined; endpoint: IpEndpoint; packet: Uint8Array }
  /**
   * Hand a freshly derived keypair to the data plane, which rotates the peer's slots (kernel
   * add_new_keypair) and owns it from then on; the caller may wipe its copy of the keys.
   */
  | { type: 'installKeypair'; peerId: number; keypair: Keypair }
  /** Drop every keypair of the peer in the data plane. */
  | { type: 'clearKeypairs'; peerId: number }
  /**
   * Send the packets staged for the peer, or one keepalive (empty data message) if none are
   * staged. Without a usable keypair the data plane stages it and calls needHandshake (kernel
   * wg_packet_send_keepalive + wg_packet_send_staged_packets).
   */
  | { type: 'sendKeepalive'; peerId: number }
  /** Drop the packets staged for the peer: the handshake gave up. */
  | { type: 'dropStaged'; peerId: number }
  /** Forget which local address the peer's packets leave from (the handshake is being retried). */
  | { type: 'clearEndpointSource'; peerId: number }
  /** The peer's endpoint changed (learnt from an authenticated handshake message). */
  | { type: 'endpoint'; peerId: number; endpoint: IpEndpoint };

export interface ProtocolPeerConfig {
  publicKey: Uint8Array;
  presharedKey?: Uint8Array;
  endpoint?: IpEndpoint;
  /** Seconds; 0 or absent disables it. */
  persistentKeepalive?: number;
}

/**
 * Packet activity the data plane observed, in aggregate: times (monotonic ms) of the packets
 * that decide the timers; undefined or 0 = none. Each is a real packet, so replaying them in time
 * order is a true (shortened) history: the first-since ones make a timer count from the packet
 * that armed it in the kernel, not from the latest.
 */
export interface PeerActivity {
  /** Last authenticated message sent (data or keepalive). */
  lastSent?: number;
  /** Last data message sent that was not a keepalive. */
  lastDataSent?: number;
  /** Last authenticated message received (data or keepalive). */
  lastReceived?: number;
  /** Last data message received that was not a keepalive. */
  lastDataReceived?: number;
  /** First data message sent since the last authenticated receive. */
  firstDataSentSinceReceive?: number;
  /** First data message received since the last authenticated send. */
  firstDataReceivedSinceSend?: number;
}

/** Shared device state every peer uses; owned by ProtocolCore. */
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
  readonly timers: PeerTimers;
  endpoint: IpEndpoint | undefined;
  /** Monotonic ms of the last handshake message we sent (initiations are limited to one per REKEY_TIMEOUT). */
  lastSentHandshake: number | undefined;
  /** Wall-clock ms of the last completed handshake (for `latest handshake`), undefined if none. */
  lastHandshakeWallMs: number | undefined;
  private readonly seen: Required<PeerActivity> = {
    lastSent: -Infinity,
    lastDataSent: -Infinity,
    lastReceived: -Infinity,
    lastDataReceived: -Infinity,
    firstDataSentSinceReceive: -Infinity,
    firstDataReceivedSinceSend: -Infinity,
  };

  constructor(
    readonly id: number,
    readonly publicKey: Uint8Array,
    private readonly ctx: PeerContext,
  ) {
    this.handshake = new Handshake(publicKey);
    this.cookie = new PeerCookie(ctx.crypto, publicKey);
    this.timers = new PeerTimers(ctx.random);
    const identity = ctx.noise.getIdentity();
    this.handshake.precompute(ctx.crypto, identity);
  }

  setPresharedKey(key: Uint8Array | undefined): void {
    this.handshake.presharedKey.fill(0);
    this.handshake.presharedKey = key ? secretCopy(key) : secretZeros(32);
  }

  setEndpoint(endpoint: IpEndpoint | undefined): void {
    this.endpoint = endpoint;
  }

  setPersistentKeepalive(seconds: number, now: number): ProtocolAction[] {
    return this.timerActions(this.timers.persistentKeepaliveChanged(seconds * 1000), now);
  }

  /**
   * The data plane asks for a handshake: it has packets but no usable session, or its session
   * ages or nears its message limit (kernel send.c / receive.c keep_key_fresh).
   */
  needHandshake(now: number): ProtocolAction[] {
    return this.sendInitiation(now, false);
  }

  /**
   * The data plane confirmed the responder's keypair waiting in `next` with the first data
   * message under it (kernel wg_noise_received_with_keypair): the handshake is complete.
   */
  keypairConfirmed(now: number): void {
    this.timers.handshakeComplete(now);
    this.lastHandshakeWallMs = this.ctx.wallClock();
  }

  /** An authenticated data message (keepalive when !isData) was sent at `at`. */
  packetSent(at: number, isData: boolean): void {
    this.timers.anyAuthenticatedPacketTraversal(at);
    this.timers.anyAuthenticatedPacketSent(at);
    if (isData) this.timers.dataSent(at);
  }

  /** An authenticated data message (keepalive when !isData) was received at `at`. */
  packetReceived(at: number, isData: boolean): void {
    this.timers.anyAuthenticatedPacketReceived(at);
    this.timers.anyAuthenticatedPacketTraversal(at);
    if (isData) this.timers.dataReceived(at);
  }

  /** Feeds aggregate activity read from the data plane; changed timestamps replay in time order. */
  observe(activity: PeerActivity): void {
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
    const firstDataSent = fresh('firstDataSentSinceReceive');
    const firstDataReceived = fresh('firstDataReceivedSinceSend');
    if (received !== undefined && received !== dataReceived) events.push({ at: received, received: true, isData: false });
    if (firstDataReceived !== undefined && firstDataReceived !== dataReceived) events.push({ at: firstDataReceived, received: true, isData: true });
    if (dataReceived !== undefined) events.push({ at: dataReceived, received: true, isData: true });
    if (sent !== undefined && sent !== dataSent) events.push({ at: sent, received: false, isData: false });
    if (firstDataSent !== undefined && firstDataSent !== dataSent) events.push({ at: firstDataSent, received: false, isData: true });
    if (dataSent !== undefined) events.push({ at: dataSent, received: false, isData: true });
    // Stable sort: at equal times a reception comes before the send it may have caused.
    events.sort((a, b) => a.at - b.at);
    for (const e of events) {
      if (e.received) this.packetReceived(e.at, e.isData);
      else this.packetSent(e.at, e.isData);
    }
  }

  /** Fires due timers. */
  tick(now: number): ProtocolAction[] {
    return this.timerActions(this.timers.tick(now), now);
  }

  nextDeadline(): number | undefined {
    return this.timers.nextDeadline();
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
  respond(source: IpEndpoint, now: number): ProtocolAction[] {
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
      this.timers.sessionDerived(now);
      actions.push(this.installAction(keypair));
    }
    this.timers.anyAuthenticatedPacketTraversal(now);
    this.timers.anyAuthenticatedPacketSent(now);
    actions.push(...this.sendTo(packet));
    this.handshakeMessageReceived(now);
    return actions;
  }

  /** After consuming a response from this peer: the session is usable at once. */
  completeAsInitiator(source: IpEndpoint, now: number): ProtocolAction[] {
    const actions = this.learnEndpoint(source);
    const keypair = this.ctx.noise.beginSession(this.handshake, now);
    if (keypair) {
      this.timers.sessionDerived(now);
      this.timers.handshakeComplete(now);
      this.lastHandshakeWallMs = this.ctx.wallClock();
      actions.push(this.installAction(keypair), { type: 'sendKeepalive', peerId: this.id });
    }
    this.handshakeMessageReceived(now);
    return actions;
  }

  /** Forgets every key: handshake in progress and keypairs (timer zeroKeys, peer removal, key change). */
  zeroKeys(): ProtocolAction[] {
    this.handshake.clear(this.ctx.indexTable);
    return [{ type: 'clearKeypairs', peerId: this.id }];
  }

  /**
   * The keypair's index passes from the core's table to the data plane's, which the daemon's
   * index table consults before handing out an index (see IndexTable).
   */
  private installAction(keypair: Keypair): ProtocolAction {
    this.ctx.indexTable.release(keypair.localIndex);
    return { type: 'installKeypair', peerId: this.id, keypair };
  }

  private handshakeMessageReceived(now: number): void {
    this.timers.anyAuthenticatedPacketReceived(now);
    this.timers.anyAuthenticatedPacketTraversal(now);
  }

  private learnEndpoint(source: IpEndpoint): ProtocolAction[] {
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
        case 'clearEndpointSource':
          actions.push({ type: 'clearEndpointSource', peerId: this.id });
          break;
        case 'zeroKeys':
          actions.push(...this.zeroKeys());
          break;
      }
    }
    return actions;
  }
}
