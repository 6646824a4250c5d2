// The data plane (native/datapath.h) behind a typed, validating wrapper. It owns the TUN device
// and the UDP sockets and moves every packet on its own threads; the control plane configures
// it here and hears from it through batched events. All times are monotonicMs() milliseconds.
import { formatIp, maxCidr, parseIp, type IpPrefix } from '../net/ip.js';
import { AllowedIps } from './allowedips.js';
import { checkBytes, checkInteger } from '../checks.js';
import { checkPeer } from './prefix-batch.js';
import { loadNative } from './loader.js';
import type { Keypair } from '../protocol/keypairs.js';
import type { NativeDataPlane, NativeDataPlaneEvent, NativeLocalAddress, NativeSourceVerdict } from './native.js';

export type LocalAddress = NativeLocalAddress;

/** A route through the interface with an MTU of its own (RTAX_MTU). */
export interface RouteMtu {
  prefix: IpPrefix;
  mtu: number;
}

const ROUTE_MTU_ENTRY_BYTES = 22;

/** family, cidr, 16 address bytes, MTU little-endian: what native setRouteMtus reads. */
function packRouteMtus(routes: RouteMtu[]): Uint8Array {
  const packed = new Uint8Array(routes.length * ROUTE_MTU_ENTRY_BYTES);
  const view = new DataView(packed.buffer);
  routes.forEach(({ prefix, mtu }, i) => {
    const offset = i * ROUTE_MTU_ENTRY_BYTES;
    if (prefix.family !== 4 && prefix.family !== 6) throw new RangeError(`route MTU ${i}: family must be 4 or 6`);
    checkBytes(prefix.bytes, `route MTU ${i} address`, prefix.family === 4 ? 4 : 16);
    packed[offset] = prefix.family;
    packed[offset + 1] = checkInteger(prefix.cidr, `route MTU ${i} cidr`, 0, maxCidr(prefix.family));
    packed.set(prefix.bytes, offset + 2);
    view.setUint32(offset + 18, checkInteger(mtu, `route MTU ${i} mtu`, 1, 0xffffffff), true);
  });
  return packed;
}

export type DataPlaneEvent = NativeDataPlaneEvent;
export type SourceVerdict = NativeSourceVerdict;
export const SOURCE_CHECK_MODES = ['allowed-ips', 'route', 'off'] as const;
export type SourceCheckMode = (typeof SOURCE_CHECK_MODES)[number];

/** The most crypto workers a data plane takes (native/crypto_pool.h). */
export const MAX_THREADS = 256;
/** The most packet queues a data plane opens (the kernel's MAX_TAP_QUEUES, native/device_queues.h). */
export const MAX_QUEUES = 256;

export interface DataPlaneOptions {
  /** Create (or attach to) the TUN interface of this name... */
  tunName?: string;
  /** ...or adopt an already attached TUN or TAP fd (WG_TUN_FD); the data plane then owns and closes it. */
  tunFd?: number;
  /** With tunName: a TAP device (route mode: the kernel's ARP/NDP picks the peer). */
  tap?: boolean;
  mtu: number;
  /** Crypto workers (1..MAX_THREADS), the I/O threads included; default one per CPU the process may use. */
  threads?: number;
  /**
   * Packet queues (1..MAX_QUEUES): the TUN/TAP device's queues, each read by its own transmit
   * thread (the kernel keeps each flow on one queue); default one per four CPUs the process may
   * use. An adopted single-queue fd has one.
   */
  queues?: number;
  /** The AllowedIPs table the data plane routes by; edit it through this object. */
  allowedIps: AllowedIps;
  /**
   * Test knob: renew a session after this many messages sent with it instead of
   * REKEY_AFTER_MESSAGES (2^60, which no test reaches). Absent in production.
   */
  rekeyAfterMessages?: number;
}

export interface KeypairSlots {
  previous: number | null;
  current: number | null;
  next: number | null;
}

/** One peer's counters and timestamps (monotonicMs(); 0 = never). */
export interface PeerStats {
  peer: number;
  rxBytes: number;
  txBytes: number;
  lastDataSentMs: number;
  lastDataReceivedMs: number;
  /** Any authenticated packet: data, keepalive or handshake. */
  lastAuthSentMs: number;
  lastAuthReceivedMs: number;
  sourceCheckDrops: number;
  staged: number;
  /** The first data sent since the last authenticated receive (arms the new-handshake timer); 0 = none waiting. */
  firstDataSentSinceReceiveMs: number;
  /** The first data received since the last authenticated send (arms the keepalive timer); 0 = none waiting. */
  firstDataReceivedSinceSendMs: number;
}

export const PEER_STATS_COLUMNS = 11;

export const DATA_PLANE_COUNTERS = [
  'droppedGarbage',
  'droppedUnknownType',
  'droppedBadMac1',
  'droppedUnknownReceiverIndex',
  'droppedAuthFailed',
  'droppedReplayed',
  'droppedExpiredKey',
  'droppedNoRouteToPeer',
  'droppedNoEndpoint',
  'droppedSourceCheck',
  'droppedStagedOverflow',
  'droppedBadInnerHeader',
  'droppedSendFailed',
  'droppedOverPathMtu',
  'droppedTunWriteFailed',
  'droppedHandshakeBacklog',
  'droppedHandshakeRateLimited',
  'droppedByKernel',
  'droppedBadFrame',
  'droppedUnknownMac',
  'droppedMulticast',
  'droppedSourcePending',
  'droppedBadOffload',
  'neighbourReplies',
  'neighbourUnanswered',
  'sourceLookups',
  'unreachableSent',
  'unreachableRateLimited',
  'unreachableSentFromHost',
  'unreachableHostSendFailed',
  'dataPacketsSent',
  'dataPacketsReceived',
  'handshakeMessagesReceived',
] as const;

export type DataPlaneCounters = Record<(typeof DATA_PLANE_COUNTERS)[number], number>;

const MAX_U32 = 0xffffffff;

function checkInterfaceName(name: unknown): string {
  if (typeof name !== 'string') throw new TypeError(`interface name must be a string, got ${typeof name}`);
  if (name.length === 0 || Buffer.byteLength(name) > 15 || /[\s/:]/.test(name) || name === '.' || name === '..') {
    throw new RangeError(`invalid interface name ${JSON.stringify(name)} (1..15 bytes, no whitespace, '/' or ':')`);
  }
  return name;
}

function checkMtu(mtu: unknown): number {
  return checkInteger(mtu, 'mtu', 576, 65535);
}

/** A numeric IPv4/IPv6 address (IPv6 may carry %scope), normalised for the native side. */
function checkAddress(address: unknown): string {
  if (typeof address !== 'string') throw new TypeError(`address must be a string, got ${typeof address}`);
  const percent = address.indexOf('%');
  const host = percent < 0 ? address : address.slice(0, percent);
  const parsed = parseIp(host);
  if (!parsed || (percent >= 0 && (parsed.family !== 6 || percent === address.length - 1))) {
    throw new RangeError(`address must be a numeric IPv4 or IPv6 address, got ${JSON.stringify(address)}`);
  }
  return formatIp(parsed) + (percent < 0 ? '' : address.slice(percent));
}

/** An optional local (source) address: numeric, of the same family as the remote address. */
function checkLocalAddress(localAddress: unknown, address: string): string | undefined {
  if (localAddress === undefined) return undefined;
  const local = checkAddress(localAddress);
  if (local.includes(':') !== address.includes(':')) {
    throw new RangeError(`localAddress ${local} and address ${address} must be of the same family`);
  }
  return local;
}

function checkKeypair(keypair: unknown): Keypair {
  if (typeof keypair !== 'object' || keypair === null) throw new TypeError('keypair must be an object');
  const k = keypair as Partial<Keypair>;
  if (typeof k.isInitiator !== 'boolean') throw new TypeError('keypair.isInitiator must be a boolean');
  return {
    localIndex: checkInteger(k.localIndex, 'keypair.localIndex', 0, MAX_U32),
    remoteIndex: checkInteger(k.remoteIndex, 'keypair.remoteIndex', 0, MAX_U32),
    sendKey: checkBytes(k.sendKey, 'keypair.sendKey', 32),
    receiveKey: checkBytes(k.receiveKey, 'keypair.receiveKey', 32),
    isInitiator: k.isInitiator,
    createdAt: checkCreatedAt(k.createdAt),
  };
}

/** The keypair's age drives the data plane's expiry and rekey: its birth must be a real past instant of the same clock. */
function checkCreatedAt(createdAt: unknown): number {
  if (typeof createdAt !== 'number') throw new TypeError(`keypair.createdAt must be a number, got ${typeof createdAt}`);
  if (!Number.isFinite(createdAt) || createdAt <= 0 || createdAt > monotonicMs()) {
    throw new RangeError(`keypair.createdAt must be a past monotonicMs() time, got ${createdAt}`);
  }
  return createdAt;
}

/** CLOCK_MONOTONIC in milliseconds: the clock of every data plane timestamp (not performance.now()). */
export function monotonicMs(): number {
  return loadNative().monotonicMs();
}

/**
 * The MAC that stands for a peer in route mode: the first 6 bytes of BLAKE2s-256(public key),
 * locally administered (0x02 set) and unicast (0x01 clear). Stable across restarts.
 */
export function peerMac(publicKey: Uint8Array): Uint8Array {
  return loadNative().peerMac(checkBytes(publicKey, 'publicKey', 32));
}

/** aa:bb:cc:dd:ee:ff */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Creates a TUN interface and returns its fd (close-on-exec) for a child process to adopt. */
export function createTun(name: string): { fd: number; name: string } {
  return loadNative().createTun(checkInterfaceName(name));
}

export class DataPlane {
  readonly #native: NativeDataPlane;
  #closed = false;

  constructor(options: DataPlaneOptions, onEvents: (events: DataPlaneEvent[]) => void) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    if (typeof onEvents !== 'function') throw new TypeError('onEvents must be a function');
    if (!(options.allowedIps instanceof AllowedIps)) throw new TypeError('options.allowedIps must be an AllowedIps');
    const hasName = options.tunName !== undefined;
    const hasFd = options.tunFd !== undefined;
    if (hasName === hasFd) throw new TypeError('options needs exactly one of tunName and tunFd');
    if (options.tap !== undefined && typeof options.tap !== 'boolean') throw new TypeError('options.tap must be a boolean');
    if (options.tap && !hasName) throw new TypeError('options.tap goes with tunName (an adopted fd keeps its kind)');
    const mtu = checkMtu(options.mtu);
    const threads = options.threads === undefined ? undefined : checkInteger(options.threads, 'options.threads', 1, MAX_THREADS);
    const queues = options.queues === undefined ? undefined : checkInteger(options.queues, 'options.queues', 1, MAX_QUEUES);
    const device = hasName
      ? { tunName: checkInterfaceName(options.tunName), tap: options.tap ?? false, mtu, threads, queues }
      : { tunFd: checkInteger(options.tunFd, 'options.tunFd', 0, 2 ** 30), mtu, threads, queues };
    const rekeyAfterMessages = options.rekeyAfterMessages === undefined ? undefined : checkInteger(options.rekeyAfterMessages, 'options.rekeyAfterMessages', 1, Number.MAX_SAFE_INTEGER);
    this.#native = new (loadNative().DataPlane)(device, options.allowedIps.native, onEvents);
    if (rekeyAfterMessages !== undefined) this.#native.setRekeyAfterMessages(rekeyAfterMessages);
  }

  /** The kernel's name of the TUN interface. */
  get ifname(): string {
    return this.#native.ifname;
  }

  /** A TAP device (route mode): the data plane exchanges Ethernet frames with the kernel. */
  get ethernet(): boolean {
    return this.#native.ethernet;
  }

  /** The TUN/TAP offloads the kernel granted (checksum, TSO, USO), or 'none' and why. */
  get offloads(): string {
    return this.#native.offloads;
  }

  /** The threads that seal and open each batch, the I/O threads included. */
  get cryptoThreads(): number {
    return this.#native.cryptoThreads;
  }

  /** The device's packet queues, each read by its own transmit thread (see DataPlaneOptions.queues). */
  get queues(): number {
    return this.#native.queues;
  }

  /** The TAP's MAC as the kernel has it now (re-read, so `ip link set address` is followed); null on TUN. */
  hardwareAddress(): Uint8Array | null {
    return this.#native.hardwareAddress();
  }

  /**
   * An fd (the caller's to close) of the network namespace the interface lives in now — it may
   * have been moved (`ip link set dev X netns Y`) — and its name there. Throws a system error
   * (EBADFD) once the interface was deleted.
   */
  deviceNamespace(): { fd: number; name: string } {
    return this.#native.deviceNamespace();
  }

  /** Route mode: the MAC that stands for the peer (peerMac(publicKey)); RangeError when another peer has it. */
  setPeerMac(peer: number, mac: Uint8Array): void {
    this.#native.setPeerMac(checkPeer(peer), checkBytes(mac, 'mac', 6));
  }

  /** The peer that answers ARP/NDP for address: its AllowedIPs, else a link-local address it taught us; 0 for none. */
  ownerOf(address: string): number {
    return this.#native.ownerOf(checkAddress(address));
  }

  /** Route mode: the link-local addresses the peer's authenticated packets came from. */
  learntAddresses(peer: number): string[] {
    return this.#native.learntAddresses(checkPeer(peer));
  }

  /** Answers resolveSource events; the packets held for each pair are delivered or dropped at once. */
  settleSources(verdicts: SourceVerdict[]): void {
    if (!Array.isArray(verdicts)) throw new TypeError('verdicts must be an array');
    this.#native.settleSources(
      verdicts.map((v) => {
        if (typeof v !== 'object' || v === null) throw new TypeError('each verdict must be an object');
        if (typeof v.accept !== 'boolean') throw new TypeError('verdict.accept must be a boolean');
        return {
          address: checkAddress(v.address),
          destination: checkAddress(v.destination),
          peer: checkPeer(v.peer),
          accept: v.accept,
          generation: checkInteger(v.generation, 'verdict.generation', 0, Number.MAX_SAFE_INTEGER),
        };
      }),
    );
  }

  /** Forgets every `route` source verdict (routes, rules or ownership changed): each pair asks again. */
  clearSourceVerdicts(): void {
    this.#native.clearSourceVerdicts();
  }

  /** The peers answered from a remembered address of ours (where their packets reached us). */
  localAddresses(): LocalAddress[] {
    return this.#native.localAddresses();
  }

  /**
   * Drops a peer's remembered source address if its endpoint is still `seen` (a datagram may
   * have taught a newer one meanwhile); the kernel picks the next by the routes.
   */
  forgetLocalAddress(seen: LocalAddress): boolean {
    const remote = checkAddress(seen.address);
    return this.#native.forgetLocalAddress(
      checkPeer(seen.peer),
      remote,
      checkInteger(seen.port, 'port', 1, 65535),
      checkLocalAddress(seen.localAddress, remote)!,
      checkInteger(seen.localIfindex, 'localIfindex', 0, 0xffffffff),
    );
  }

  /** The bound UDP port, 0 before bind(). */
  get port(): number {
    return this.#native.port;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Opens the IPv4 and IPv6 UDP sockets on port (0: a free one), replacing the current ones. */
  bind(port: number): number {
    return this.#native.bind(checkInteger(port, 'port', 0, 65535));
  }

  /** SO_MARK of the UDP sockets, now and after rebinds; 0 clears it. */
  setFwmark(mark: number): void {
    this.#native.setFwmark(checkInteger(mark, 'fwmark', 0, MAX_U32));
  }

  /** HASH("mac1----" || our public key), or null when there is no private key (handshakes dropped). */
  setMac1Key(key: Uint8Array | null): void {
    this.#native.setMac1Key(key === null ? null : checkBytes(key, 'mac1 key', 32));
  }

  setSourceCheck(mode: SourceCheckMode): void {
    if (!SOURCE_CHECK_MODES.includes(mode)) {
      throw new RangeError(`source check must be one of ${SOURCE_CHECK_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
    }
    this.#native.setSourceCheck(mode);
  }

  setMtu(mtu: number): void {
    this.#native.setMtu(checkMtu(mtu));
  }

  /**
   * Replaces the MTUs of routes through the interface: a data packet is padded within
   * min(device MTU, MTU of the longest matching prefix; the smallest on a tie).
   */
  setRouteMtus(routes: RouteMtu[]): void {
    this.#native.setRouteMtus(packRouteMtus(routes));
  }

  addPeer(peer: number): void {
    this.#native.addPeer(checkPeer(peer));
  }

  /** Drops the peer with its keypairs, staged packets and AllowedIPs; false when unknown. */
  removePeer(peer: number): boolean {
    return this.#native.removePeer(checkPeer(peer));
  }

  /**
   * Runs change (typically many peers' endpoints and removals) with the sockets' steering
   * program rebuilt once at the end instead of after every endpoint change.
   */
  withSteeringHeld<T>(change: () => T): T {
    this.#native.holdSteering();
    try {
      return change();
    } finally {
      this.#native.releaseSteering();
    }
  }

  /**
   * Where the peer's packets go. localAddress (e.g. from a handshake event) makes them leave
   * from that address of ours; the data plane then follows the peer's authenticated packets.
   */
  setEndpoint(peer: number, address: string, port: number, localAddress?: string): void {
    const remote = checkAddress(address);
    this.#native.setEndpoint(checkPeer(peer), remote, checkInteger(port, 'port', 1, 65535), checkLocalAddress(localAddress, remote));
  }

  clearEndpoint(peer: number): void {
    this.#native.clearEndpoint(checkPeer(peer));
  }

  /** Keeps the peer's endpoint but lets the kernel choose the local address packets leave from again. */
  clearEndpointSource(peer: number): void {
    this.#native.clearEndpointSource(checkPeer(peer));
  }

  /** Installs a session derived by a handshake; staged packets go out once it is usable. */
  installKeypair(peer: number, keypair: Keypair): void {
    const k = checkKeypair(keypair);
    this.#native.installKeypair(checkPeer(peer), k.localIndex, k.remoteIndex, k.sendKey, k.receiveKey, k.isInitiator, k.createdAt);
  }

  removeKeypair(localIndex: number): boolean {
    return this.#native.removeKeypair(checkInteger(localIndex, 'localIndex', 0, MAX_U32));
  }

  clearKeypairs(peer: number): void {
    this.#native.clearKeypairs(checkPeer(peer));
  }

  /** Whether one of the data plane's keypairs holds this local index. */
  hasKeypairIndex(localIndex: number): boolean {
    return this.#native.hasKeypairIndex(checkInteger(localIndex, 'localIndex', 0, MAX_U32));
  }

  /** The local indices in the peer's previous / current / next slots. */
  keypairs(peer: number): KeypairSlots {
    return this.#native.keypairs(checkPeer(peer));
  }

  /** Sends a handshake message to the peer's endpoint; false when it has none or the socket refused. */
  sendHandshake(peer: number, message: Uint8Array): boolean {
    return this.#native.sendHandshake(checkPeer(peer), checkBytes(message, 'message'));
  }

  /** Sends a message (a cookie reply) to an address that need not be a peer's endpoint. */
  sendTo(address: string, port: number, message: Uint8Array, localAddress?: string): boolean {
    const remote = checkAddress(address);
    return this.#native.sendTo(
      remote,
      checkInteger(port, 'port', 1, 65535),
      checkBytes(message, 'message'),
      checkLocalAddress(localAddress, remote),
    );
  }

  /** Queues an empty data message on the current keypair (a needHandshake event when there is none). */
  sendKeepalive(peer: number): void {
    this.#native.sendKeepalive(checkPeer(peer));
  }

  /** Drops the packets staged for the peer: its handshake gave up. */
  dropStaged(peer: number): void {
    this.#native.dropStaged(checkPeer(peer));
  }

  peerStats(): PeerStats[] {
    const t = this.#native.peerStats();
    const out: PeerStats[] = [];
    for (let i = 0; i < t.length; i += PEER_STATS_COLUMNS) {
      out.push({
        peer: t[i],
        rxBytes: t[i + 1],
        txBytes: t[i + 2],
        lastDataSentMs: t[i + 3],
        lastDataReceivedMs: t[i + 4],
        lastAuthSentMs: t[i + 5],
        lastAuthReceivedMs: t[i + 6],
        sourceCheckDrops: t[i + 7],
        staged: t[i + 8],
        firstDataSentSinceReceiveMs: t[i + 9],
        firstDataReceivedSinceSendMs: t[i + 10],
      });
    }
    return out;
  }

  counters(): DataPlaneCounters {
    return this.#native.counters() as DataPlaneCounters;
  }

  /** Stops the threads, closes the sockets and the TUN fd. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#native.close();
  }
}
