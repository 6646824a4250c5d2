// One WireGuard interface run in this process — the daemon's engine, which the API's Device
// drives over the UAPI: the native data plane (TUN, UDP, keypairs, session crypto), the pure
// protocol core (handshakes, cookies, timers) and the AllowedIPs table, tied together. The data
// plane hands handshake messages and session events over in batches; the core answers with
// actions this class carries out. One timer is armed for the core's earliest deadline, or for
// the earliest instant a packet not yet read could make a timer due (see packetTimerHorizon):
// then the data plane's per-peer timestamps are read, so steady-state packets never call into
// JavaScript and an idle device wakes rarely.
import { EventEmitter } from 'node:events';
import { AllowedIps, PrefixBatch } from '../native/allowedips.js';
import { isZeroKey, keysEqual, KEY_LENGTH } from '../config/keys.js';
import { endpointHost, formatEndpoint, type IpEndpoint } from '../config/endpoint.js';
import type { Logger } from '../log.js';
import { interfaceName } from '../net/interface-name.js';
import { parseIp } from '../net/ip.js';
import type { PeerSelection } from '../config/wg-config.js';
import { DataPlane, monotonicMs, peerMac, type DataPlaneEvent, type LocalAddress, type RouteMtu, type SourceCheckMode, type SourceVerdict } from '../native/dataplane.js';
import { DEFAULT_UNDER_LOAD_QUEUE_LENGTH, KEEPALIVE_TIMEOUT, REKEY_ATTEMPT_TIME } from '../protocol/constants.js';
import { mac1Key } from '../protocol/cookie.js';
import { processCrypto } from '../crypto/choose-crypto.js';
import { systemRandom } from '../crypto/system-random.js';
import type { Crypto } from '../protocol/crypto.js';
import { ProtocolCore } from '../protocol/core.js';
import { MapIndexTable } from '../protocol/index-table.js';
import type { Keypair } from '../protocol/keypairs.js';
import type { Peer, ProtocolAction } from '../protocol/peer.js';
import { DeadlineTimer, nodeTimers } from './deadline-timer.js';
import { LISTED_PREFIXES_LIMIT, type DeviceEvent } from './events.js';
import { secretCopy } from '../protocol/secret-bytes.js';

export const DEFAULT_MTU = 1420;

export interface DeviceEngineOptions {
  /** Create (or attach to) the TUN interface of this name... */
  ifname?: string;
  /** ...or adopt an open TUN fd (WG_TUN_FD). */
  tunFd?: number;
  mtu?: number;
  /** Crypto workers (see DataPlaneOptions.threads). */
  threads?: number;
  /** Packet queues (see DataPlaneOptions.queues). */
  queues?: number;
  /** Test knob (see DataPlaneOptions.rekeyAfterMessages). */
  rekeyAfterMessages?: number;
  /**
   * allowed-ips (default): a TUN device, the destination's AllowedIPs owner carries a packet.
   * route: a TAP device, the kernel's routing picks the peer through ARP/NDP (DESIGN.md §3).
   */
  peerSelection?: PeerSelection;
  log: Logger;
  /** Defaults to processCrypto() (native, else JavaScript). */
  crypto?: Crypto;
}

/** What may change on a peer; absent fields are left as they are. */
export interface PeerUpdate {
  /** All zero or null: no preshared key. */
  presharedKey?: Uint8Array | null;
  endpoint?: IpEndpoint;
  /** Seconds, 0 = off. */
  persistentKeepalive?: number;
}

/** A peer as the engine reports it (uapi-handler.ts writes it out as a UapiPeerState). */
export interface PeerState {
  id: number;
  publicKey: Uint8Array;
  presharedKey: Uint8Array | undefined;
  endpoint: IpEndpoint | undefined;
  persistentKeepalive: number;
  /** Wall-clock ms of the last completed handshake. */
  lastHandshakeMs: number | undefined;
  rxBytes: number;
  txBytes: number;
  sourceCheckDrops: number;
}

/** What the route machinery (route-watch.ts) hears from the data plane. */
export type RoutingEvent = Extract<DataPlaneEvent, { type: 'resolveSource' | 'addressLearnt' }>;

interface DeviceEventMap {
  event: [DeviceEvent];
  routing: [RoutingEvent];
  closed: [reason: string];
}

interface PeerRecord {
  peer: Peer;
  presharedKey: Uint8Array | undefined;
  persistentKeepalive: number;
  /** Bytes of handshake messages from this peer: the core handles those, the data plane does not count them. */
  handshakeRxBytes: number;
}

export class DeviceEngine extends EventEmitter<DeviceEventMap> {
  private readonly records = new Map<number, PeerRecord>();
  /** Route mode: the peer each MAC stands for (hex), to refuse a second key with the same MAC. */
  private readonly peerByMac = new Map<string, number>();
  private privateKeyBytes: Uint8Array | undefined;
  private configuredPort = 0;
  private fwmarkValue = 0;
  private sourceCheckMode: SourceCheckMode = 'allowed-ips';
  private nextPeerId = 1;
  private readonly timer = new DeadlineTimer(nodeTimers(monotonicMs), () => this.tick());
  /** When tick() last read the data plane's timestamps (monotonic ms). */
  private observedAt = 0;
  private closedReason: string | undefined;

  private constructor(
    /** The table the data plane routes by; change it through the methods below so watchers hear of it. */
    readonly allowedIps: AllowedIps,
    private readonly crypto: Crypto,
    private readonly protocol: ProtocolCore,
    private readonly dataPlane: DataPlane,
    private readonly log: Logger,
    readonly peerSelection: PeerSelection,
  ) {
    super();
  }

  /** Creates the TUN device and binds a free UDP port (as wireguard-go does for listen_port 0). */
  static async open(options: DeviceEngineOptions): Promise<DeviceEngine> {
    const crypto = options.crypto ?? (await processCrypto(options.log));
    // Events may arrive before the Device exists; they wait for it.
    const pending: DataPlaneEvent[][] = [];
    let deliver = (events: DataPlaneEvent[]): void => void pending.push(events);
    const allowedIps = new AllowedIps();
    const peerSelection = options.peerSelection ?? 'allowed-ips';
    if (peerSelection !== 'allowed-ips' && peerSelection !== 'route') {
      throw new RangeError(`peerSelection must be 'allowed-ips' or 'route', got ${JSON.stringify(peerSelection)}`);
    }
    const tunName = options.tunFd === undefined ? options.ifname : undefined;
    const dataPlane = new DataPlane(
      { tunName, tunFd: options.tunFd, tap: tunName !== undefined && peerSelection === 'route', mtu: options.mtu ?? DEFAULT_MTU, threads: options.threads, queues: options.queues, rekeyAfterMessages: options.rekeyAfterMessages, allowedIps },
      (events) => deliver(events),
    );
    if (dataPlane.ethernet !== (peerSelection === 'route')) {
      dataPlane.close();
      throw new Error(`the adopted device is a ${dataPlane.ethernet ? 'TAP' : 'TUN'}, which does not fit peer selection ${peerSelection}`);
    }
    try {
      dataPlane.bind(0);
    } catch (error) {
      dataPlane.close();
      throw error;
    }
    // Keypairs and their indices live in the data plane: new handshakes get other indices.
    const indexTable = new MapIndexTable(systemRandom, (index) => dataPlane.hasKeypairIndex(index));
    const protocol = new ProtocolCore({ crypto, random: systemRandom, wallClock: Date.now, indexTable });
    const device = new DeviceEngine(allowedIps, crypto, protocol, dataPlane, options.log, peerSelection);
    deliver = (events) => device.onDataPlaneEvents(events);
    for (const events of pending) device.onDataPlaneEvents(events);
    return device;
  }

  get ifname(): string {
    return this.dataPlane.ifname;
  }

  /** The threads that seal and open each batch (see DataPlane.cryptoThreads). */
  get cryptoThreads(): number {
    return this.dataPlane.cryptoThreads;
  }

  /** The packet queues, each with its transmit thread (see DataPlane.queues). */
  get queues(): number {
    return this.dataPlane.queues;
  }

  /** The TUN/TAP offloads the kernel granted (see DataPlane.offloads). */
  get offloads(): string {
    return this.dataPlane.offloads;
  }

  get listenPort(): number {
    return this.dataPlane.port;
  }

  get fwmark(): number {
    return this.fwmarkValue;
  }

  get sourceCheck(): SourceCheckMode {
    return this.sourceCheckMode;
  }

  get privateKey(): Uint8Array | undefined {
    return this.privateKeyBytes && secretCopy(this.privateKeyBytes);
  }

  get publicKey(): Uint8Array | undefined {
    return this.protocol.publicKey;
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Rebinds the UDP sockets; 0 picks a free port. Throws (nothing changed) when the port is taken. */
  setListenPort(port: number): void {
    if (port === this.configuredPort && (port !== 0 || this.dataPlane.port !== 0)) return;
    this.dataPlane.bind(port);
    this.configuredPort = port;
    this.log.verbose(`UDP bound to port ${this.dataPlane.port}`);
  }

  setFwmark(mark: number): void {
    this.dataPlane.setFwmark(mark);
    this.fwmarkValue = mark;
  }

  setSourceCheck(mode: SourceCheckMode): void {
    this.dataPlane.setSourceCheck(mode);
    this.sourceCheckMode = mode;
  }

  setMtu(mtu: number): void {
    this.dataPlane.setMtu(mtu);
  }

  setRouteMtus(routes: RouteMtu[]): void {
    if (!this.closed) this.dataPlane.setRouteMtus(routes);
  }

  /** See DataPlane.deviceNamespace (DeviceHome wraps it). */
  deviceNamespace(): { fd: number; name: string } {
    return this.dataPlane.deviceNamespace();
  }

  /** The interface's MAC changed (`ip link set address`): a TAP data plane re-reads it. */
  linkAddressChanged(): void {
    if (!this.closed && this.dataPlane.ethernet) this.dataPlane.hardwareAddress();
  }

  /**
   * Sets our static private key (clamped by the caller), or removes it with undefined / all
   * zero. Setting the key we already have changes nothing (sessions survive, as in
   * wireguard-go); a peer whose public key is our new one is removed.
   */
  setPrivateKey(key: Uint8Array | undefined): void {
    const next = key && !isZeroKey(key) ? secretCopy(key) : undefined;
    if (next && this.privateKeyBytes && keysEqual(next, this.privateKeyBytes)) return;
    if (!next && !this.privateKeyBytes) return;
    this.privateKeyBytes?.fill(0);
    this.privateKeyBytes = next;
    this.apply(this.protocol.setPrivateKey(next));
    this.schedule();
    const publicKey = this.protocol.publicKey;
    this.dataPlane.setMac1Key(publicKey ? mac1Key(this.crypto, publicKey) : null);
    const self = publicKey && this.protocol.peerByPublicKey(publicKey);
    if (self) this.removePeer(self.id);
    this.log.verbose(publicKey ? 'private key set' : 'private key removed');
  }

  /** The id of the peer with this public key, if any. */
  peerId(publicKey: Uint8Array): number | undefined {
    return this.protocol.peerByPublicKey(publicKey)?.id;
  }

  /** Whether the key is our own public key (wireguard-go ignores such a peer). */
  isOwnKey(publicKey: Uint8Array): boolean {
    const own = this.protocol.publicKey;
    return own !== undefined && keysEqual(own, publicKey);
  }

  /**
   * In route mode, the peer whose MAC (derived from its key) equals the one this key would get,
   * other than the key's own peer: two keys must not stand for the same MAC (odds 2^-46).
   */
  macOwner(publicKey: Uint8Array): number | undefined {
    if (this.peerSelection !== 'route') return undefined;
    const id = this.peerByMac.get(macKey(publicKey));
    return id !== undefined && !keysEqual(this.record(id).peer.publicKey, publicKey) ? id : undefined;
  }

  /** Runs a change of many peers with the data plane's socket steering rebuilt once, at the end. */
  changePeers<T>(change: () => T): T {
    return this.dataPlane.withSteeringHeld(change);
  }

  /** Adds a peer and returns its id; the key must not belong to a peer already. */
  addPeer(publicKey: Uint8Array): number {
    if (publicKey.length !== KEY_LENGTH) throw new RangeError(`a public key is ${KEY_LENGTH} bytes, got ${publicKey.length}`);
    if (this.macOwner(publicKey) !== undefined) throw new RangeError('this public key maps to the route-mode MAC of another peer');
    const id = this.nextPeerId++;
    const { peer, actions } = this.protocol.addPeer(id, { publicKey }, monotonicMs());
    this.dataPlane.addPeer(id);
    if (this.peerSelection === 'route') {
      this.dataPlane.setPeerMac(id, peerMac(publicKey));
      this.peerByMac.set(macKey(publicKey), id);
    }
    this.records.set(id, { peer, presharedKey: undefined, persistentKeepalive: 0, handshakeRxBytes: 0 });
    this.apply(actions);
    this.log.verbose(`peer ${id} (${shortKey(publicKey)}) created`);
    this.emit('event', { type: 'peerAdded', peer: publicKey });
    return id;
  }

  updatePeer(id: number, update: PeerUpdate): void {
    const record = this.record(id);
    if (update.presharedKey !== undefined) {
      const psk = update.presharedKey && !isZeroKey(update.presharedKey) ? secretCopy(update.presharedKey) : undefined;
      record.presharedKey?.fill(0);
      record.presharedKey = psk;
      record.peer.setPresharedKey(psk);
    }
    if (update.endpoint) this.setEndpoint(id, update.endpoint, undefined);
    if (update.persistentKeepalive !== undefined && update.persistentKeepalive !== record.persistentKeepalive) {
      record.persistentKeepalive = update.persistentKeepalive;
      this.apply(record.peer.setPersistentKeepalive(update.persistentKeepalive, monotonicMs()));
      this.schedule();
    }
    this.emit('event', { type: 'peerChanged', peer: record.peer.publicKey });
  }

  removePeer(id: number): void {
    const record = this.records.get(id);
    if (!record) return;
    this.apply(this.protocol.removePeer(id));
    this.schedule();
    this.dataPlane.removePeer(id);
    record.presharedKey?.fill(0);
    this.records.delete(id);
    if (this.peerSelection === 'route') this.peerByMac.delete(macKey(record.peer.publicKey));
    this.log.verbose(`peer ${id} (${shortKey(record.peer.publicKey)}) removed`);
    this.emit('event', { type: 'peerRemoved', peer: record.peer.publicKey });
  }

  removeAllPeers(): void {
    for (const id of [...this.records.keys()]) this.removePeer(id);
  }

  /** Gives the peer these prefixes (each moves from any other owner); returns how many were new in the table. */
  addAllowedIps(id: number, prefixes: PrefixBatch): number {
    const peer = this.record(id).peer.publicKey;
    prefixes.setPeerId(id);
    const added = this.allowedIps.insertMany(prefixes);
    const listed = prefixes.length <= LISTED_PREFIXES_LIMIT ? { added: listPrefixes(prefixes), removed: [] } : undefined;
    this.emit('event', { type: 'allowedIps', peer, added: prefixes.length, removed: 0, prefixes: listed });
    return added;
  }

  /** Removes those of the prefixes the peer owns exactly; returns how many were removed. */
  removeAllowedIps(id: number, prefixes: PrefixBatch): number {
    const peer = this.record(id).peer.publicKey;
    prefixes.setPeerId(id);
    if (prefixes.length > LISTED_PREFIXES_LIMIT) {
      const removed = this.allowedIps.removeMany(prefixes);
      if (removed) this.emit('event', { type: 'allowedIps', peer, added: 0, removed });
      return removed;
    }
    // Few enough to say exactly which ones this peer really owned.
    const removedList: string[] = [];
    for (let i = 0; i < prefixes.length; i++) {
      if (this.allowedIps.remove(prefixes.prefixAt(i), id)) removedList.push(prefixes.formatAt(i));
    }
    if (removedList.length) this.emit('event', { type: 'allowedIps', peer, added: 0, removed: removedList.length, prefixes: { added: [], removed: removedList } });
    return removedList.length;
  }

  clearAllowedIps(id: number): number {
    const peer = this.record(id).peer.publicKey;
    const owned = this.allowedIps.walkBatch(id);
    const removed = this.allowedIps.removeAll(id);
    const listed = removed <= LISTED_PREFIXES_LIMIT ? { added: [], removed: listPrefixes(owned) } : undefined;
    if (removed) this.emit('event', { type: 'allowedIps', peer, added: 0, removed, prefixes: listed });
    return removed;
  }

  /** The peer answering ARP/NDP for address in route mode (AllowedIPs, else learnt); undefined for none. */
  ownerOf(address: string): number | undefined {
    return this.dataPlane.ownerOf(address) || undefined;
  }

  /** Route mode: the link-local addresses the peer's packets taught the data plane. */
  learntAddressesOf(id: number): string[] {
    return this.peerSelection === 'route' ? this.dataPlane.learntAddresses(id) : [];
  }

  /** The MAC standing for the peer on the TAP device (route mode). */
  peerMacOf(id: number): Uint8Array {
    return peerMac(this.record(id).peer.publicKey);
  }

  /** Answers the data plane's `resolveSource` questions (see route-watch.ts). */
  settleSources(verdicts: SourceVerdict[]): void {
    if (!this.closed) this.dataPlane.settleSources(verdicts);
  }

  /** Routes, rules or ownership changed: every `route` source verdict must be asked again. */
  clearSourceVerdicts(): void {
    if (!this.closed) this.dataPlane.clearSourceVerdicts();
  }

  /** The peers answered from a remembered address of ours (sticky source); none once closed. */
  localAddresses(): LocalAddress[] {
    return this.closed ? [] : this.dataPlane.localAddresses();
  }

  /** Drops a peer's remembered source address if it is still `seen`. */
  forgetLocalAddress(seen: LocalAddress): boolean {
    return !this.closed && this.dataPlane.forgetLocalAddress(seen);
  }

  /** Every peer in creation order, with the data plane's counters read now. */
  peers(): PeerState[] {
    const stats = new Map(this.dataPlane.peerStats().map((s) => [s.peer, s]));
    return [...this.records.entries()].map(([id, record]) => {
      const s = stats.get(id);
      const endpoint = record.peer.endpoint;
      return {
        id,
        publicKey: record.peer.publicKey,
        presharedKey: record.presharedKey,
        endpoint: endpoint && { ...endpoint },
        persistentKeepalive: record.persistentKeepalive,
        lastHandshakeMs: record.peer.lastHandshakeWallMs,
        rxBytes: (s?.rxBytes ?? 0) + record.handshakeRxBytes,
        txBytes: s?.txBytes ?? 0,
        sourceCheckDrops: s?.sourceCheckDrops ?? 0,
      };
    });
  }

  /** The data plane's drop and packet counters plus the core's handshake counters. */
  counters(): Record<string, number> {
    const out: Record<string, number> = { ...this.dataPlane.counters() };
    const stats = this.protocol.stats;
    out.handshakeInitiationsAccepted = stats.initiationsAccepted;
    out.handshakeResponsesAccepted = stats.responsesAccepted;
    out.cookieRepliesSent = stats.cookieRepliesSent;
    for (const [reason, count] of stats.drops) out[`handshakeDropped.${reason}`] = count;
    return out;
  }

  /** Stops the data plane and the timers. Idempotent. */
  close(reason = 'closed'): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.timer.cancel();
    this.removeAllPeers();
    this.privateKeyBytes?.fill(0);
    this.privateKeyBytes = undefined;
    this.protocol.setPrivateKey(undefined); // frees the native private key now
    this.dataPlane.close();
    this.emit('closed', reason);
  }

  private record(id: number): PeerRecord {
    const record = this.records.get(id);
    if (!record) throw new RangeError(`no peer with id ${id}`);
    return record;
  }

  private setEndpoint(id: number, endpoint: IpEndpoint, localAddress: string | undefined): void {
    const record = this.record(id);
    record.peer.setEndpoint({ ...endpoint });
    this.dataPlane.setEndpoint(id, endpointHost(endpoint), endpoint.port, localAddress);
  }

  private onDataPlaneEvents(events: DataPlaneEvent[]): void {
    if (this.closed) return;
    const now = monotonicMs();
    let handshakesLeft = 0;
    for (const e of events) if (e.type === 'handshake') handshakesLeft++;
    for (const e of events) {
      switch (e.type) {
        case 'handshake':
          // The data plane saw the load first (it rate-limits before queueing): the core must answer with cookies too.
          handshakesLeft--;
          this.receiveHandshake(e.message, e.address, e.port, e.localAddress, now, e.underLoad ? Math.max(handshakesLeft, DEFAULT_UNDER_LOAD_QUEUE_LENGTH) : handshakesLeft);
          break;
        case 'needHandshake':
          this.withPeer(e.peer, (record) => this.apply(record.peer.needHandshake(now)));
          break;
        case 'keypairConfirmed':
          this.withPeer(e.peer, (record) => {
            record.peer.keypairConfirmed(now);
            this.sessionStarted(record);
          });
          break;
        case 'endpointChanged':
          this.withPeer(e.peer, (record) => {
            const endpoint = dataPlaneEndpoint(e.address, e.port);
            if (!endpoint) return;
            record.peer.setEndpoint(endpoint);
            this.endpointLearnt(record, endpoint);
          });
          break;
        case 'closed':
          this.log.verbose(`data plane stopped: ${e.reason}`);
          this.close(e.reason);
          return;
        case 'resolveSource':
        case 'addressLearnt':
          this.emit('routing', e);
          break;
      }
    }
    this.schedule();
  }

  private receiveHandshake(message: Buffer, address: string, port: number, localAddress: string | undefined, now: number, queued: number): void {
    const source = dataPlaneEndpoint(address, port);
    if (!source) return;
    const { actions, peer, sessionStarted } = this.protocol.receive(message, source, now, queued);
    const record = peer && this.records.get(peer.id);
    if (record) {
      record.handshakeRxBytes += message.length;
      // An initiator's session is in use at once; a responder's once the first data confirms it.
      if (sessionStarted) this.sessionStarted(record);
    }
    this.apply(actions, localAddress);
  }

  private tick(): void {
    if (this.closed) return;
    const now = monotonicMs();
    this.observedAt = now;
    for (const s of this.dataPlane.peerStats()) {
      this.records
        .get(s.peer)
        ?.peer.observe({
          lastSent: s.lastAuthSentMs,
          lastDataSent: s.lastDataSentMs,
          lastReceived: s.lastAuthReceivedMs,
          lastDataReceived: s.lastDataReceivedMs,
          firstDataSentSinceReceive: s.firstDataSentSinceReceiveMs,
          firstDataReceivedSinceSend: s.firstDataReceivedSinceSendMs,
        });
    }
    this.apply(this.protocol.tick(now));
    this.schedule();
  }

  /**
   * Arms the timer for the core's earliest deadline, or sooner to read the data plane's
   * activity; none when nothing is pending (no keypair and no timer anywhere: no packet can be
   * sent or received, since data needs a session and a new one arrives as an event).
   */
  private schedule(): void {
    const deadline = this.closed ? undefined : this.protocol.nextDeadline();
    // From the last read, not from now: a packet just after that read may already be counting.
    this.timer.arm(deadline === undefined ? undefined : Math.min(deadline, this.observedAt + this.packetTimerHorizon()));
  }

  /**
   * The shortest delay from a packet to a timer it arms, for a timer not pending yet: keepalive
   * (KEEPALIVE_TIMEOUT after the first data received), new handshake (later still) or a
   * persistent keepalive (its interval after any packet). Reading the timestamps this often, every
   * timer is known before it is due, and counts from its own packet (PeerActivity's first-since
   * times), so none fires late; a pending timer only moves later with traffic, and is its own wake-up.
   */
  private packetTimerHorizon(): number {
    let horizon = KEEPALIVE_TIMEOUT;
    for (const record of this.records.values()) {
      if (record.persistentKeepalive > 0) horizon = Math.min(horizon, record.persistentKeepalive * 1000);
    }
    return horizon;
  }

  /** Carries out the core's actions; localAddress is where the message that caused them arrived. */
  private apply(actions: ProtocolAction[], localAddress?: string): void {
    for (const action of actions) {
      switch (action.type) {
        case 'send':
          this.send(action.peerId, action.endpoint, action.packet, localAddress);
          break;
        case 'installKeypair':
          this.installKeypair(action.peerId, action.keypair);
          break;
        case 'clearKeypairs':
          if (this.records.has(action.peerId)) this.dataPlane.clearKeypairs(action.peerId);
          break;
        case 'sendKeepalive':
          if (this.records.has(action.peerId)) this.dataPlane.sendKeepalive(action.peerId);
          break;
        case 'clearEndpointSource':
          if (this.records.has(action.peerId)) this.dataPlane.clearEndpointSource(action.peerId);
          break;
        case 'dropStaged':
          if (this.records.has(action.peerId)) this.dataPlane.dropStaged(action.peerId);
          this.withPeer(action.peerId, (record) => {
            this.log.verbose(`peer ${record.peer.id}: handshake did not complete after ${REKEY_ATTEMPT_TIME / 1000} s, giving up and dropping the packets waiting for it`);
            this.emit('event', { type: 'handshakeFailed', peer: record.peer.publicKey });
          });
          break;
        case 'endpoint':
          this.withPeer(action.peerId, (record) => {
            this.dataPlane.setEndpoint(action.peerId, endpointHost(action.endpoint), action.endpoint.port, localAddress);
            this.endpointLearnt(record, action.endpoint);
          });
          break;
      }
    }
  }

  /** Hands the keypair to the data plane, which copies the keys; this copy is wiped. */
  private installKeypair(peerId: number, keypair: Keypair): void {
    try {
      if (this.records.has(peerId)) {
        this.dataPlane.installKeypair(peerId, keypair);
      }
    } finally {
      keypair.sendKey.fill(0);
      keypair.receiveKey.fill(0);
    }
  }

  private send(peerId: number | undefined, endpoint: IpEndpoint, packet: Uint8Array, localAddress: string | undefined): void {
    const sent =
      peerId !== undefined && this.records.has(peerId)
        ? this.dataPlane.sendHandshake(peerId, packet)
        : this.dataPlane.sendTo(endpointHost(endpoint), endpoint.port, packet, localAddress);
    if (!sent) this.log.verbose(`could not send a handshake message to ${formatEndpoint(endpoint)}`);
  }

  private sessionStarted(record: PeerRecord): void {
    const endpoint = record.peer.endpoint;
    this.log.verbose(`peer ${record.peer.id}: session started${endpoint ? ` with ${formatEndpoint(endpoint)}` : ''}`);
    this.emit('event', { type: 'session', peer: record.peer.publicKey, endpoint: endpoint && { ...endpoint } });
  }

  private endpointLearnt(record: PeerRecord, endpoint: IpEndpoint): void {
    this.log.verbose(`peer ${record.peer.id}: endpoint ${formatEndpoint(endpoint)}`);
    this.emit('event', { type: 'endpoint', peer: record.peer.publicKey, endpoint: { ...endpoint } });
  }

  private withPeer(id: number, fn: (record: PeerRecord) => void): void {
    const record = this.records.get(id);
    if (record) fn(record);
  }
}

function macKey(publicKey: Uint8Array): string {
  return Buffer.from(peerMac(publicKey)).toString('hex');
}

function listPrefixes(prefixes: PrefixBatch): string[] {
  return Array.from({ length: prefixes.length }, (_, i) => prefixes.formatAt(i));
}

/**
 * An address the data plane reports as an endpoint. A zone comes as an interface index
 * ("fe80::1%3") and is kept by name when the interface has one, as wg and configs write it.
 */
function dataPlaneEndpoint(address: string, port: number): IpEndpoint | undefined {
  const percent = address.indexOf('%');
  const ip = parseIp(percent < 0 ? address : address.slice(0, percent));
  if (!ip) return undefined;
  if (percent < 0) return { address: ip, port };
  const zone = address.slice(percent + 1);
  return { address: ip, port, scope: (/^\d+$/.test(zone) && interfaceName(Number(zone))) || zone };
}

function shortKey(key: Uint8Array): string {
  return `${Buffer.from(key).toString('base64').slice(0, 8)}…`;
}
