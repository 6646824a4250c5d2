// The UAPI "get" reply: a plain data model of a device and its peers, written as the key=value
// lines wireguard-go sends (device/uapi.go IpcGetOperation) and read back by the typed client.
// viaguard adds keys of its own; `wg` ignores keys it does not know (wireguard-tools ipc-uapi.h).
import { formatEndpoint, parseIpEndpoint, type IpEndpoint } from '../config/endpoint.js';
import { isZeroKey, KEY_LENGTH, keyFromHex, keyToHex } from '../config/keys.js';
import { PEER_SELECTIONS, SOURCE_CHECKS, type PeerSelection, type SourceCheck } from '../config/wg-config.js';
import { formatPrefix, type IpPrefix } from '../net/ip.js';
import { UAPI_ERRNO, UapiError } from './errors.js';
import { PrefixBatch } from '../native/prefix-batch.js';

/** Extra key=value pairs, after the standard keys; `wg` skips them. */
export type ExtraKeys = Iterable<readonly [key: string, value: string]>;

export interface PeerStatus {
  publicKey: Uint8Array;
  /** Absent or all zero: none (sent as zeros). */
  presharedKey?: Uint8Array;
  endpoint?: IpEndpoint;
  /** Unix time of the last handshake; 0/0 means never. */
  lastHandshakeTimeSec: number;
  lastHandshakeTimeNsec: number;
  txBytes: bigint;
  rxBytes: bigint;
  /** Seconds; 0 is off. */
  persistentKeepaliveInterval: number;
  allowedIps: Iterable<IpPrefix>;
  extra?: ExtraKeys;
}

export interface DeviceStatus {
  privateKey?: Uint8Array;
  /** 0 or absent: not sent (wireguard-go omits an unset port). */
  listenPort?: number;
  fwmark?: number;
  sourceCheck?: SourceCheck;
  peerSelection?: PeerSelection;
  extra?: ExtraKeys;
  peers: Iterable<PeerStatus>;
}

/** What the client reads back: the same model, allowed IPs packed (a million stay compact). */
export interface PeerSnapshot extends PeerStatus {
  allowedIps: PrefixBatch;
  extra: [string, string][];
}

export interface DeviceSnapshot extends DeviceStatus {
  extra: [string, string][];
  peers: PeerSnapshot[];
}

const DEVICE_KEYS = ['private_key', 'listen_port', 'fwmark', 'source_check', 'peer_selection'];
const PEER_KEYS = ['public_key', 'preshared_key', 'protocol_version', 'endpoint', 'last_handshake_time_sec', 'last_handshake_time_nsec', 'tx_bytes', 'rx_bytes', 'persistent_keepalive_interval', 'allowed_ip'];
const RESERVED = new Set([...DEVICE_KEYS, ...PEER_KEYS, 'errno']);
const ZERO_KEY = new Uint8Array(KEY_LENGTH);

/** The reply's lines (without '\n' and without the closing `errno=0`), lazily. */
export function* formatGetResponse(status: DeviceStatus): Generator<string> {
  if (status.privateKey && !isZeroKey(status.privateKey)) yield `private_key=${keyToHex(status.privateKey)}`;
  if (status.listenPort) yield `listen_port=${status.listenPort}`;
  if (status.fwmark) yield `fwmark=${status.fwmark}`;
  if (status.sourceCheck) yield `source_check=${status.sourceCheck}`;
  if (status.peerSelection) yield `peer_selection=${status.peerSelection}`;
  yield* formatExtra(status.extra);
  for (const peer of status.peers) {
    yield `public_key=${keyToHex(peer.publicKey)}`;
    yield `preshared_key=${keyToHex(peer.presharedKey ?? ZERO_KEY)}`;
    yield 'protocol_version=1';
    if (peer.endpoint) yield `endpoint=${formatEndpoint(peer.endpoint)}`;
    yield `last_handshake_time_sec=${peer.lastHandshakeTimeSec}`;
    yield `last_handshake_time_nsec=${peer.lastHandshakeTimeNsec}`;
    yield `tx_bytes=${peer.txBytes}`;
    yield `rx_bytes=${peer.rxBytes}`;
    yield `persistent_keepalive_interval=${peer.persistentKeepaliveInterval}`;
    if (peer.allowedIps instanceof PrefixBatch) {
      yield* allowedIpBlocks(peer.allowedIps);
    } else {
      for (const prefix of peer.allowedIps) yield `allowed_ip=${formatPrefix(prefix)}`;
    }
    yield* formatExtra(peer.extra);
  }
}

const LINES_PER_BLOCK = 4096;

/** allowed_ip lines in blocks joined by '\n': one string per line would dominate a full-table get. */
function* allowedIpBlocks(prefixes: PrefixBatch): Generator<string> {
  for (let first = 0; first < prefixes.length; first += LINES_PER_BLOCK) {
    const end = Math.min(prefixes.length, first + LINES_PER_BLOCK);
    let block = `allowed_ip=${prefixes.formatAt(first)}`;
    for (let i = first + 1; i < end; i++) block += `\nallowed_ip=${prefixes.formatAt(i)}`;
    yield block;
  }
}

function* formatExtra(extra: ExtraKeys | undefined): Generator<string> {
  for (const [key, value] of extra ?? []) {
    if (!/^[a-z0-9_]+$/.test(key) || RESERVED.has(key)) throw new RangeError(`not usable as an extra UAPI key: ${JSON.stringify(key)}`);
    if (/[\n\r]/.test(value)) throw new RangeError(`the value of extra UAPI key ${key} contains a line break`);
    yield `${key}=${value}`;
  }
}

/** Reads a get reply line by line (without '\n'), up to and including its `errno=` line. */
export class GetResponseParser {
  private readonly device: DeviceSnapshot = { extra: [], peers: [] };
  private peer: PeerSnapshot | undefined;
  private errno: number | undefined;
  private lineNumber = 0;

  line(text: string): void {
    this.lineNumber++;
    if (this.errno !== undefined) throw this.protocol(`a line after errno: ${JSON.stringify(text)}`);
    const eq = text.indexOf('=');
    if (eq < 0) throw this.protocol(`expected key=value, got ${JSON.stringify(text)}`);
    const key = text.slice(0, eq);
    const value = text.slice(eq + 1);
    // wireguard-go sends negative errnos; a positive one means the same error.
    if (key === 'errno') this.errno = -(this.number(value.replace(/^-/, ''), 0x7fffffff) ?? this.bad(key, value));
    else if (key === 'public_key') this.startPeer(value);
    else if (this.peer) this.peerLine(this.peer, key, value);
    else this.deviceLine(key, value);
  }

  /** The device, or a UapiError carrying the daemon's errno. */
  finish(): DeviceSnapshot {
    if (this.errno === undefined) throw this.protocol('the reply ended without an errno line');
    if (this.errno !== 0) throw new UapiError(this.errno, `the daemon answered errno=${this.errno}`);
    return this.device;
  }

  private startPeer(value: string): void {
    this.peer = {
      publicKey: keyFromHex(value) ?? this.bad('public_key', value),
      lastHandshakeTimeSec: 0,
      lastHandshakeTimeNsec: 0,
      txBytes: 0n,
      rxBytes: 0n,
      persistentKeepaliveInterval: 0,
      allowedIps: new PrefixBatch(),
      extra: [],
    };
    this.device.peers.push(this.peer);
  }

  private deviceLine(key: string, value: string): void {
    const device = this.device;
    if (key === 'private_key') device.privateKey = keyFromHex(value) ?? this.bad(key, value);
    else if (key === 'listen_port') device.listenPort = this.number(value, 0xffff) ?? this.bad(key, value);
    else if (key === 'fwmark') device.fwmark = this.number(value, 0xffffffff) ?? this.bad(key, value);
    else if (key === 'source_check') device.sourceCheck = SOURCE_CHECKS.find((c) => c === value) ?? this.bad(key, value);
    else if (key === 'peer_selection') device.peerSelection = PEER_SELECTIONS.find((c) => c === value) ?? this.bad(key, value);
    else if (PEER_KEYS.includes(key)) throw this.protocol(`${key} before any public_key`);
    else device.extra.push([key, value]);
  }

  private peerLine(peer: PeerSnapshot, key: string, value: string): void {
    switch (key) {
      case 'preshared_key': {
        const psk = keyFromHex(value) ?? this.bad(key, value);
        if (isZeroKey(psk)) delete peer.presharedKey;
        else peer.presharedKey = psk;
        return;
      }
      case 'protocol_version':
        if (value !== '1') this.bad(key, value);
        return;
      case 'endpoint':
        peer.endpoint = parseIpEndpoint(value) ?? this.bad(key, value);
        return;
      case 'last_handshake_time_sec':
        peer.lastHandshakeTimeSec = this.number(value, Number.MAX_SAFE_INTEGER) ?? this.bad(key, value);
        return;
      case 'last_handshake_time_nsec':
        peer.lastHandshakeTimeNsec = this.number(value, 999_999_999) ?? this.bad(key, value);
        return;
      case 'tx_bytes':
        peer.txBytes = this.counter(value) ?? this.bad(key, value);
        return;
      case 'rx_bytes':
        peer.rxBytes = this.counter(value) ?? this.bad(key, value);
        return;
      case 'persistent_keepalive_interval':
        peer.persistentKeepaliveInterval = this.number(value, 0xffff) ?? this.bad(key, value);
        return;
      case 'allowed_ip':
        if (!value.includes('/') || !peer.allowedIps.pushText(value)) this.bad(key, value);
        return;
      default:
        if (DEVICE_KEYS.includes(key)) throw this.protocol(`device key ${key} after a public_key`);
        peer.extra.push([key, value]);
    }
  }

  private number(value: string, max: number): number | undefined {
    if (!/^\d+$/.test(value)) return undefined;
    const number = Number(value);
    return number <= max ? number : undefined;
  }

  private counter(value: string): bigint | undefined {
    if (!/^\d{1,20}$/.test(value)) return undefined;
    const number = BigInt(value);
    return number <= 0xffffffffffffffffn ? number : undefined;
  }

  private bad(key: string, value: string): never {
    throw this.protocol(`${key}: unreadable value ${JSON.stringify(value)}`);
  }

  private protocol(why: string): UapiError {
    return new UapiError(UAPI_ERRNO.EPROTO, `get reply: ${why}`, this.lineNumber);
  }
}

/** Parses a whole get reply given as text (up to its blank line) or lines. */
export function parseGetResponse(lines: string | Iterable<string>): DeviceSnapshot {
  const parser = new GetResponseParser();
  for (const line of typeof lines === 'string' ? lines.split('\n') : lines) {
    if (line === '') break;
    parser.line(line);
  }
  return parser.finish();
}
