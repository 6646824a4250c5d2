// The protocol side of one WireGuard interface: our static identity, the peers, and the
// handling of every handshake-class message (initiation, response, cookie reply) with the
// kernel's receive.c admission rules: mac1 always, mac2 and the per-source rate limit only
// while under load. Data messages and keypairs are the native data plane's; it reports their
// effects through Peer.observe / keypairConfirmed / needHandshake, and carries out the
// returned actions.
import { DEFAULT_UNDER_LOAD_QUEUE_LENGTH } from './constants.js';
import { CookieChecker } from './cookie.js';
import type { Crypto, Random } from './crypto.js';
import type { IpEndpoint } from '../config/endpoint.js';
import { toHex } from './hex.js';
import { MapIndexTable, type IndexTable } from './index-table.js';
import { decodeCookieReply, decodeInitiation, decodeResponse, messageKind, type DecodeFailure } from './messages.js';
import { Noise, type HandshakeFailure } from './noise.js';
import { Peer, type ProtocolPeerConfig, type PeerContext, type ProtocolAction } from './peer.js';
import { LoadMonitor, Ratelimiter } from './ratelimiter.js';

export type DropReason =
  | DecodeFailure
  | HandshakeFailure
  | 'dataMessage'
  | 'invalidMac1'
  | 'rateLimited'
  | 'noEndpoint'
  | 'invalidCookieReply';

export interface ProtocolCoreOptions {
  crypto: Crypto;
  random: Random;
  /** Wall-clock ms since the Unix epoch, for TAI64N timestamps and `latest handshake`. */
  wallClock: () => number;
  /** Defaults to an in-memory table; the daemon passes one that skips its data plane's keypair indices. */
  indexTable?: IndexTable;
  /** Queued handshakes from which the device is "under load" (default 128, as wireguard-go). */
  underLoadQueueLength?: number;
  ratelimiterMaxEntries?: number;
}

/** What receive() did with a message. */
export interface ReceiveResult {
  actions: ProtocolAction[];
  /** The peer an accepted (authenticated) initiation or response came from. */
  peer: Peer | undefined;
  /** A response completed our handshake: the initiator's session is in use at once. */
  sessionStarted: boolean;
}

/** Counters of what the device did with received handshake-class messages. */
export interface ProtocolStats {
  initiationsAccepted: number;
  responsesAccepted: number;
  cookieRepliesAccepted: number;
  cookieRepliesSent: number;
  drops: Map<DropReason, number>;
}

export class ProtocolCore {
  readonly stats: ProtocolStats = { initiationsAccepted: 0, responsesAccepted: 0, cookieRepliesAccepted: 0, cookieRepliesSent: 0, drops: new Map() };
  private readonly crypto: Crypto;
  private readonly noise: Noise;
  private readonly indexTable: IndexTable;
  private readonly cookieChecker: CookieChecker;
  private readonly load: LoadMonitor;
  private readonly ratelimiter: Ratelimiter;
  private readonly peers = new Map<number, Peer>();
  private readonly peersByKey = new Map<string, Peer>();
  private readonly context: PeerContext;

  constructor(options: ProtocolCoreOptions) {
    this.crypto = options.crypto;
    this.indexTable = options.indexTable ?? new MapIndexTable(options.random);
    this.noise = new Noise(options.crypto, this.indexTable);
    this.cookieChecker = new CookieChecker(options.crypto, options.random);
    this.load = new LoadMonitor(options.underLoadQueueLength ?? DEFAULT_UNDER_LOAD_QUEUE_LENGTH);
    this.ratelimiter = new Ratelimiter(options.ratelimiterMaxEntries);
    this.context = {
      crypto: options.crypto,
      random: options.random,
      noise: this.noise,
      indexTable: this.indexTable,
      wallClock: options.wallClock,
      countDrop: (reason: DropReason) => this.countDrop(reason),
    };
  }

  /** Our static public key, if a private key is set. */
  get publicKey(): Uint8Array | undefined {
    return this.noise.getIdentity()?.publicKey;
  }

  /**
   * Sets (or with undefined, removes) our private key. Every peer's static-static DH is
   * recomputed and its sessions are dropped, since they were made under the old identity.
   */
  setPrivateKey(raw: Uint8Array | undefined): ProtocolAction[] {
    const identity = raw ? this.crypto.importPrivateKey(raw) : undefined;
    const previous = this.noise.getIdentity();
    this.noise.setIdentity(identity);
    this.cookieChecker.setPublicKey(identity?.publicKey);
    const actions: ProtocolAction[] = [];
    for (const peer of this.peers.values()) {
      peer.handshake.precompute(this.crypto, identity);
      actions.push(...peer.zeroKeys());
    }
    previous?.destroy?.();
    return actions;
  }

  /** Adds a peer under a caller-chosen id (a u32, never 0, shared with the data plane). */
  addPeer(peerId: number, config: ProtocolPeerConfig, now: number): { peer: Peer; actions: ProtocolAction[] } {
    if (!Number.isInteger(peerId) || peerId <= 0 || peerId > 0xffffffff) throw new RangeError(`peer id must be a u32 other than 0, got ${peerId}`);
    if (config.publicKey.length !== 32) throw new RangeError(`public key must be 32 bytes, got ${config.publicKey.length}`);
    if (this.peers.has(peerId)) throw new Error(`peer id ${peerId} already exists`);
    const key = toHex(config.publicKey);
    if (this.peersByKey.has(key)) throw new Error(`a peer with public key ${key} already exists`);
    const peer = new Peer(peerId, Uint8Array.from(config.publicKey), this.context);
    peer.setPresharedKey(config.presharedKey);
    peer.setEndpoint(config.endpoint);
    this.peers.set(peerId, peer);
    this.peersByKey.set(key, peer);
    return { peer, actions: peer.setPersistentKeepalive(config.persistentKeepalive ?? 0, now) };
  }

  /** Removes a peer, zeroing its keys and freeing its indices. */
  removePeer(peerId: number): ProtocolAction[] {
    const peer = this.peers.get(peerId);
    if (!peer) return [];
    const actions = peer.zeroKeys();
    peer.setPresharedKey(undefined);
    peer.timers.stop();
    this.peers.delete(peerId);
    this.peersByKey.delete(toHex(peer.publicKey));
    return actions;
  }

  peer(peerId: number): Peer | undefined {
    return this.peers.get(peerId);
  }

  peerByPublicKey(publicKey: Uint8Array): Peer | undefined {
    return this.peersByKey.get(toHex(publicKey));
  }

  get peerList(): Peer[] {
    return [...this.peers.values()];
  }

  /**
   * Handles one handshake-class message received from `source`. `queuedHandshakes` is how many
   * handshake messages are waiting behind this one (it decides "under load"). Never throws on
   * bad input: malformed or unauthenticated messages are dropped and counted in stats.drops.
   */
  receive(packet: Uint8Array, source: IpEndpoint, now: number, queuedHandshakes = 0): ReceiveResult {
    const kind = messageKind(packet);
    if (!kind.ok) return this.drop(kind.reason);
    switch (kind.kind) {
      case 'data':
        return this.drop('dataMessage');
      case 'cookie':
        return this.receiveCookieReply(packet, now);
      case 'initiation':
      case 'response':
        return this.receiveHandshake(kind.kind, packet, source, now, queuedHandshakes);
    }
  }

  /** Fires every peer's due timers. */
  tick(now: number): ProtocolAction[] {
    const actions: ProtocolAction[] = [];
    for (const peer of this.peers.values()) actions.push(...peer.tick(now));
    return actions;
  }

  /** The earliest time tick() has something to do, if any. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const peer of this.peers.values()) {
      const d = peer.nextDeadline();
      if (d !== undefined && (next === undefined || d < next)) next = d;
    }
    return next;
  }

  private receiveCookieReply(packet: Uint8Array, now: number): ReceiveResult {
    const decoded = decodeCookieReply(packet);
    if (!decoded.ok) return this.drop(decoded.reason);
    const peerId = this.indexTable.lookup(decoded.message.receiverIndex);
    const peer = peerId === undefined ? undefined : this.peers.get(peerId);
    if (!peer) return this.drop('unknownIndex');
    if (!peer.cookie.consumeReply(decoded.message, now)) return this.drop('invalidCookieReply');
    this.stats.cookieRepliesAccepted++;
    return { actions: [], peer: undefined, sessionStarted: false };
  }

  private receiveHandshake(kind: 'initiation' | 'response', packet: Uint8Array, source: IpEndpoint, now: number, queued: number): ReceiveResult {
    const decoded = kind === 'initiation' ? decodeInitiation(packet) : decodeResponse(packet);
    if (!decoded.ok) return this.drop(decoded.reason);
    const underLoad = this.load.update(queued, now);
    const macs = this.cookieChecker.check(packet, source, underLoad, now);
    if (macs === 'invalidMac1') return this.drop('invalidMac1');
    if (underLoad && macs !== 'validMac2') {
      this.stats.cookieRepliesSent++;
      const reply = this.cookieChecker.createReply(packet, decoded.message.senderIndex, source, now);
      return { actions: [{ type: 'send', peerId: undefined, endpoint: source, packet: reply }], peer: undefined, sessionStarted: false };
    }
    if (underLoad && !this.ratelimiter.allow(source.address, now)) return this.drop('rateLimited');

    if (!('receiverIndex' in decoded.message)) {
      const consumed = this.noise.consumeInitiation(decoded.message, (key) => this.peerByPublicKey(key), now);
      if (!consumed.ok) return this.drop(consumed.reason);
      this.stats.initiationsAccepted++;
      return { actions: consumed.value.respond(source, now), peer: consumed.value, sessionStarted: false };
    }
    const peerId = this.indexTable.lookup(decoded.message.receiverIndex);
    const consumed = this.noise.consumeResponse(decoded.message, peerId === undefined ? undefined : this.peers.get(peerId));
    if (!consumed.ok) return this.drop(consumed.reason);
    this.stats.responsesAccepted++;
    const actions = consumed.value.completeAsInitiator(source, now);
    return { actions, peer: consumed.value, sessionStarted: actions.some((a) => a.type === 'installKeypair') };
  }

  private countDrop(reason: DropReason): void {
    this.stats.drops.set(reason, (this.stats.drops.get(reason) ?? 0) + 1);
  }

  private drop(reason: DropReason): ReceiveResult {
    this.countDrop(reason);
    return { actions: [], peer: undefined, sessionStarted: false };
  }
}
