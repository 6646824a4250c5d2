// The programmatic API: `import { Device } from 'viaguard'`. A Device is a WireGuard interface
// driven over its UAPI socket, whether this process created it (Device.create runs the daemon
// in-process on a worker thread of its own, so a busy main thread stalls neither the tunnel nor
// the UAPI, and `wg` and `viaguard` work on it too) or another process runs it
// (Device.attach: viaguardd, or wireguard-go without events). Every change is one UAPI set,
// applied all or nothing; a refusal is a DeviceError carrying the daemon's errno.
import { EventEmitter } from 'node:events';
import { formatEndpoint, parseIpEndpoint, type IpEndpoint } from '../config/endpoint.js';
import { clampPrivateKey, keyFromBase64, keyToBase64, KEY_LENGTH } from '../config/keys.js';
import { publicKeyFromPrivate } from '../config/public-key.js';
import type { SourceCheck } from '../config/wg-config.js';
import { PrefixBatch } from '../native/prefix-batch.js';
import { UapiClient, type WatchSubscription } from '../uapi/client.js';
import { UapiError } from '../uapi/errors.js';
import type { AllowedIpRun, PeerChange, SetTransaction } from '../uapi/set-request.js';
import type { PeerSnapshot } from '../uapi/status.js';
import { watchEventJson, type WatchEventJson } from '../uapi/watch-json.js';
import { startEngine, type Engine } from './engine.js';
import { DeviceError } from './errors.js';

/** A key as wg prints it (base64) or its 32 raw bytes. */
export type Key = string | Uint8Array;

export interface PeerOptions {
  publicKey: Key;
  /** null removes it. */
  presharedKey?: Key | null;
  /** "192.0.2.1:51820" or "[2001:db8::1]:51820". */
  endpoint?: string;
  /** Seconds; 0 turns it off. */
  persistentKeepalive?: number;
  /** Prefixes such as "10.0.0.0/24"; on addPeer/updatePeer they replace the peer's list. */
  allowedIps?: string[];
}

export interface InterfaceOptions {
  privateKey?: Key;
  /** 0 picks a free port. */
  listenPort?: number;
  /** 0 clears it. */
  fwmark?: number;
  /** viaguardd only. */
  sourceCheck?: SourceCheck;
}

export interface CreateOptions extends InterfaceOptions {
  /** The interface name (1-15 characters). */
  name: string;
  peers?: PeerOptions[];
  /** Where the daemon logs (LOG_LEVEL semantics); default 'silent'. */
  logLevel?: 'verbose' | 'error' | 'silent';
}

export interface PeerStatus {
  publicKey: string;
  endpoint?: string;
  /** undefined: never. */
  lastHandshake?: Date;
  rxBytes: bigint;
  txBytes: bigint;
  persistentKeepalive: number;
  allowedIps: string[];
}

export interface DeviceStatus {
  name: string;
  publicKey?: string;
  listenPort?: number;
  fwmark?: number;
  sourceCheck?: SourceCheck;
  peers: PeerStatus[];
}

interface DeviceEvents {
  /** Every change, as `viaguard watch` prints it; subscribing starts the stream (viaguardd only). */
  event: [WatchEventJson];
  /** The event stream failed (the daemon went away, or it has no notifications). */
  error: [Error];
}

export class Device extends EventEmitter<DeviceEvents> {
  private readonly client: UapiClient;
  private subscription: Promise<WatchSubscription> | undefined;
  private closed = false;

  private constructor(
    readonly name: string,
    private readonly daemon: Engine | undefined,
  ) {
    super();
    this.client = new UapiClient(name);
    // The event stream starts with the first 'event' listener ('newListener' is outside the typed map).
    (this as EventEmitter).on('newListener', (event: string | symbol) => {
      if (event === 'event' && !this.subscription && !this.closed) this.subscribe();
    });
  }

  /** Creates the interface in this process (TUN device and UAPI socket), configured as asked. */
  static async create(options: CreateOptions): Promise<Device> {
    const daemon = await startEngine({ ifname: options.name, logLevel: options.logLevel ?? 'silent' }).catch((error: unknown) => {
      throw new DeviceError(`cannot create ${options.name}: ${(error as Error).message}`, { cause: error });
    });
    const device = new Device(options.name, daemon);
    try {
      await device.configure(options);
      for (const peer of options.peers ?? []) await device.addPeer(peer);
    } catch (error) {
      await device.close();
      throw error;
    }
    return device;
  }

  /** Attaches to an interface another process serves (viaguardd, wireguard-go). */
  static async attach(name: string): Promise<Device> {
    const device = new Device(name, undefined);
    await device.status();
    return device;
  }

  async configure(options: InterfaceOptions): Promise<void> {
    const tx: SetTransaction = { replacePeers: false, peers: [] };
    if (options.privateKey !== undefined) tx.privateKey = clampPrivateKey(toKey(options.privateKey, 'privateKey'));
    if (options.listenPort !== undefined) tx.listenPort = checkRange(options.listenPort, 'listenPort', 0xffff);
    if (options.fwmark !== undefined) tx.fwmark = checkRange(options.fwmark, 'fwmark', 0xffffffff);
    if (options.sourceCheck !== undefined) tx.sourceCheck = options.sourceCheck;
    await this.apply(tx, 'configure');
  }

  /** Adds a peer, or updates it when it exists; its AllowedIPs become exactly options.allowedIps (when given). */
  async addPeer(options: PeerOptions): Promise<void> {
    await this.apply({ replacePeers: false, peers: [peerChange(options, false)] }, 'addPeer');
  }

  /** Changes an existing peer; a DeviceError when there is none. */
  async updatePeer(options: PeerOptions): Promise<void> {
    if (!(await this.peer(options.publicKey))) throw new DeviceError(`updatePeer: no peer ${keyToBase64(toKey(options.publicKey, 'publicKey'))}`);
    await this.apply({ replacePeers: false, peers: [peerChange(options, true)] }, 'updatePeer');
  }

  async removePeer(publicKey: Key): Promise<void> {
    await this.apply({ replacePeers: false, peers: [{ ...bareChange(publicKey), remove: true }] }, 'removePeer');
  }

  /** Gives the peer these prefixes, leaving its others alone (each moves from any other peer). */
  async addAllowedIps(publicKey: Key, prefixes: string[]): Promise<void> {
    await this.apply({ replacePeers: false, peers: [{ ...bareChange(publicKey), updateOnly: true, allowedIps: [allowedIpRun(prefixes, false)] }] }, 'addAllowedIps');
  }

  /** Takes these prefixes from the peer (those it owns exactly), leaving its others alone. */
  async removeAllowedIps(publicKey: Key, prefixes: string[]): Promise<void> {
    await this.apply({ replacePeers: false, peers: [{ ...bareChange(publicKey), updateOnly: true, allowedIps: [allowedIpRun(prefixes, true)] }] }, 'removeAllowedIps');
  }

  async status(): Promise<DeviceStatus> {
    const snapshot = await this.client.get().catch((error: unknown) => {
      throw new DeviceError(`${this.name}: ${(error as Error).message}`, { cause: error, errno: error instanceof UapiError ? error.errno : undefined });
    });
    return {
      name: this.name,
      publicKey: snapshot.privateKey && keyToBase64(publicKeyFromPrivate(snapshot.privateKey)),
      listenPort: snapshot.listenPort,
      fwmark: snapshot.fwmark,
      sourceCheck: snapshot.sourceCheck,
      peers: snapshot.peers.map(peerStatus),
    };
  }

  async peer(publicKey: Key): Promise<PeerStatus | undefined> {
    const key = keyToBase64(toKey(publicKey, 'publicKey'));
    return (await this.status()).peers.find((p) => p.publicKey === key);
  }

  /**
   * Starts the event stream (the first 'event' listener does too); resolves once the daemon
   * accepted it, so every later change is reported.
   */
  async watch(): Promise<void> {
    if (!this.subscription) this.subscribe();
    await this.subscription;
  }

  /**
   * A created device is taken down (its interface and socket go away) after every event it sent
   * has been emitted; an attached one only stops listening.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const subscription = await this.subscription?.catch(() => undefined);
    if (this.daemon) {
      this.daemon.stop();
      await this.daemon.stopped;
      await subscription?.ended.catch(() => undefined);
    } else {
      subscription?.close();
    }
  }

  private subscribe(): void {
    this.subscription = this.client.watch((event) => this.emit('event', watchEventJson(event, Date.now())));
    this.subscription.then(
      (s) => s.ended.catch((error: unknown) => this.emit('error', error as Error)),
      (error: unknown) => this.emit('error', new DeviceError(`${this.name}: no event stream: ${(error as Error).message}`, { cause: error })),
    );
  }

  private async apply(tx: SetTransaction, what: string): Promise<void> {
    if (this.closed) throw new DeviceError(`${what}: the device is closed`);
    let errno: number;
    try {
      errno = await this.client.apply(tx);
    } catch (error) {
      throw new DeviceError(`${what}: ${(error as Error).message}`, { cause: error });
    }
    if (errno !== 0) throw new DeviceError(`${what}: the daemon refused it (errno=${errno})`, { errno });
  }
}

function toKey(key: Key, name: string): Uint8Array {
  const raw = typeof key === 'string' ? keyFromBase64(key) : key instanceof Uint8Array && key.length === KEY_LENGTH ? key : undefined;
  if (!raw) throw new DeviceError(`${name}: expected a base64 key or ${KEY_LENGTH} bytes`);
  return raw;
}

function checkRange(value: number, name: string, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new DeviceError(`${name}: expected an integer 0-${max}, got ${value}`);
  return value;
}

function bareChange(publicKey: Key): PeerChange {
  return { publicKey: toKey(publicKey, 'publicKey'), line: 0, remove: false, updateOnly: false, replaceAllowedIps: false, allowedIps: [] };
}

function allowedIpRun(prefixes: string[], remove: boolean): AllowedIpRun {
  const batch = new PrefixBatch(Math.max(1, prefixes.length));
  for (const prefix of prefixes) if (!batch.pushText(prefix)) throw new DeviceError(`not an IP prefix: ${JSON.stringify(prefix)}`);
  return { remove, prefixes: batch };
}

function peerChange(options: PeerOptions, updateOnly: boolean): PeerChange {
  const change: PeerChange = { ...bareChange(options.publicKey), updateOnly };
  if (options.presharedKey !== undefined) change.presharedKey = options.presharedKey === null ? new Uint8Array(KEY_LENGTH) : toKey(options.presharedKey, 'presharedKey');
  if (options.endpoint !== undefined) change.endpoint = parseEndpointOption(options.endpoint);
  if (options.persistentKeepalive !== undefined) change.persistentKeepaliveInterval = checkRange(options.persistentKeepalive, 'persistentKeepalive', 0xffff);
  if (options.allowedIps !== undefined) {
    change.replaceAllowedIps = true;
    if (options.allowedIps.length) change.allowedIps = [allowedIpRun(options.allowedIps, false)];
  }
  return change;
}

function parseEndpointOption(text: string): IpEndpoint {
  const endpoint = parseIpEndpoint(text);
  if (!endpoint) throw new DeviceError(`endpoint: expected "IPv4:port" or "[IPv6]:port", got ${JSON.stringify(text)}`);
  return endpoint;
}

function peerStatus(peer: PeerSnapshot): PeerStatus {
  const handshakeMs = peer.lastHandshakeTimeSec * 1000 + Math.floor(peer.lastHandshakeTimeNsec / 1e6);
  return {
    publicKey: keyToBase64(peer.publicKey),
    endpoint: peer.endpoint && formatEndpoint(peer.endpoint),
    lastHandshake: handshakeMs ? new Date(handshakeMs) : undefined,
    rxBytes: peer.rxBytes,
    txBytes: peer.txBytes,
    persistentKeepalive: peer.persistentKeepaliveInterval,
    allowedIps: Array.from({ length: peer.allowedIps.length }, (_, i) => peer.allowedIps.formatAt(i)),
  };
}
