// The UAPI "set" request, parsed line by line into a typed transaction that the daemon can check
// in full and then apply all at once. Keys, values and their places follow wireguard-go
// device/uapi.go (IpcSetOperation): device keys come before the first public_key, peer keys
// after it; an unknown key or a bad value is EINVAL, a line without '=' is EPROTO. Unlike
// wireguard-go, nothing is applied while parsing, so a bad line 700,000 leaves the device as is.
import { clampPrivateKey, keyFromHex } from '../config/keys.js';
import { parseIpEndpoint, type IpEndpoint } from '../config/endpoint.js';
import { SOURCE_CHECKS, type SourceCheck } from '../config/wg-config.js';
import { parsePrefix } from '../net/ip.js';
import { UAPI_ERRNO, UapiError } from './errors.js';
import { PrefixBatch } from '../native/prefix-batch.js';

export interface SetTransaction {
  /** Clamped for X25519 as the kernel and wireguard-go store it; all zero means: remove it. */
  privateKey?: Uint8Array;
  listenPort?: number;
  /** 0 clears the mark. */
  fwmark?: number;
  /** Remove every peer before applying `peers`. */
  replacePeers: boolean;
  /** viaguard: `source_check=allowed-ips|route|off`. */
  sourceCheck?: SourceCheck;
  /** In request order; the same key may appear more than once (apply in order). */
  peers: PeerChange[];
}

/** A run of consecutive `allowed_ip` lines of one kind; runs are applied in order. */
export interface AllowedIpRun {
  /** True for `allowed_ip=-PREFIX`: remove PREFIX only if this peer owns exactly it. */
  remove: boolean;
  /** Packed, host bits cleared, peer id 0 (stamp it with PrefixBatch.setPeerId). */
  prefixes: PrefixBatch;
}

export interface PeerChange {
  publicKey: Uint8Array;
  /** Request line of this peer's public_key, for messages at apply time. */
  line: number;
  /** Remove the peer; every other field is then empty (wireguard-go ignores what follows). */
  remove: boolean;
  /** Only change an existing peer: when it does not exist, skip this whole change. */
  updateOnly: boolean;
  /** All zero means: no preshared key. */
  presharedKey?: Uint8Array;
  endpoint?: IpEndpoint;
  persistentKeepaliveInterval?: number;
  /** Drop the peer's AllowedIPs before applying `allowedIps`. */
  replaceAllowedIps: boolean;
  allowedIps: AllowedIpRun[];
}

/** Feeds one request's lines (after `set=1`, before the blank line); line 1 is `set=1`. */
export class SetRequestParser {
  private readonly tx: SetTransaction = { replacePeers: false, peers: [] };
  private peer: PeerChange | undefined;
  private lineNumber = 1;
  private error: UapiError | undefined;

  /** Takes one line without its '\n'. Never throws: the first error is kept for finish(). */
  line(text: string): void {
    this.lineNumber++;
    if (this.error) return;
    try {
      this.parseLine(text);
    } catch (error) {
      if (!(error instanceof UapiError)) throw error;
      this.error = error;
    }
  }

  /** Marks the current line as unreadable (e.g. too long) with the given errno. */
  fail(errno: number, why: string): void {
    this.lineNumber++;
    this.error ??= new UapiError(errno, why, this.lineNumber);
  }

  get failed(): UapiError | undefined {
    return this.error;
  }

  /** The whole transaction, or the first error of the request. */
  finish(): SetTransaction {
    if (this.error) throw this.error;
    return this.tx;
  }

  /**
   * The bulk of a full-table set, read in place: `allowed_ip=<canonical IPv4 prefix>` for the
   * current peer. True when the line was taken; false leaves it to line() as text.
   */
  lineBytes(bytes: Uint8Array, start: number, end: number): boolean {
    const peer = this.peer;
    if (!peer || peer.remove || this.error || end - start <= ALLOWED_IP.length) return false;
    for (let i = 0; i < ALLOWED_IP.length; i++) if (bytes[start + i] !== ALLOWED_IP[i]) return false;
    if (bytes[start + ALLOWED_IP.length] === 45) return false; // '-': a removal, for line()
    const run = this.runFor(peer, false);
    if (!run.prefixes.pushBytes(bytes, start + ALLOWED_IP.length, end)) return false;
    this.lineNumber++;
    return true;
  }

  private parseLine(text: string): void {
    const eq = text.indexOf('=');
    if (eq < 0) throw new UapiError(UAPI_ERRNO.EPROTO, `expected key=value, got ${JSON.stringify(text)}`, this.lineNumber);
    const key = text.slice(0, eq);
    const value = text.slice(eq + 1);
    if (key === 'public_key') {
      const publicKey = keyFromHex(value) ?? this.invalid(key, value, '64 hex digits');
      this.peer = { publicKey, line: this.lineNumber, remove: false, updateOnly: false, replaceAllowedIps: false, allowedIps: [] };
      this.tx.peers.push(this.peer);
    } else if (this.peer) {
      this.peerLine(this.peer, key, value);
    } else {
      this.deviceLine(key, value);
    }
  }

  private deviceLine(key: string, value: string): void {
    switch (key) {
      case 'private_key':
      {
        const raw = keyFromHex(value) ?? this.invalid(key, value, '64 hex digits');
        this.tx.privateKey?.fill(0);
        this.tx.privateKey = clampPrivateKey(raw);
        if (this.tx.privateKey !== raw) raw.fill(0);
        return;
      }
      case 'listen_port':
        this.tx.listenPort = parseUint(value, 0xffff) ?? this.invalid(key, value, 'a port 0-65535');
        return;
      case 'fwmark':
        this.tx.fwmark = parseUint(value, 0xffffffff) ?? this.invalid(key, value, 'a decimal mark 0-4294967295');
        return;
      case 'replace_peers':
        if (value !== 'true') this.invalid(key, value, 'true');
        this.tx.replacePeers = true;
        return;
      case 'source_check':
        this.tx.sourceCheck = SOURCE_CHECKS.find((choice) => choice === value) ?? this.invalid(key, value, SOURCE_CHECKS.join(', '));
        return;
      default:
        throw new UapiError(UAPI_ERRNO.EINVAL, `${JSON.stringify(key)} is not a device key${PEER_KEYS.has(key) ? ' (a peer key before any public_key)' : ''}`, this.lineNumber);
    }
  }

  private peerLine(peer: PeerChange, key: string, value: string): void {
    const removed = peer.remove; // wireguard-go checks but discards what follows remove=true
    switch (key) {
      case 'remove':
        if (value !== 'true') this.invalid(key, value, 'true');
        Object.assign(peer, { remove: true, updateOnly: false, replaceAllowedIps: false, allowedIps: [] });
        delete peer.presharedKey;
        delete peer.endpoint;
        delete peer.persistentKeepaliveInterval;
        return;
      case 'update_only':
        if (value !== 'true') this.invalid(key, value, 'true');
        if (!removed) peer.updateOnly = true;
        return;
      case 'preshared_key': {
        const psk = keyFromHex(value) ?? this.invalid(key, value, '64 hex digits');
        peer.presharedKey?.fill(0);
        if (removed) psk.fill(0);
        else peer.presharedKey = psk;
        return;
      }
      case 'endpoint': {
        const endpoint = parseIpEndpoint(value) ?? this.invalid(key, value, 'IPv4:port or [IPv6]:port');
        if (!removed) peer.endpoint = endpoint;
        return;
      }
      case 'persistent_keepalive_interval': {
        const seconds = parseUint(value, 0xffff) ?? this.invalid(key, value, 'seconds 0-65535');
        if (!removed) peer.persistentKeepaliveInterval = seconds;
        return;
      }
      case 'replace_allowed_ips':
        if (value !== 'true') this.invalid(key, value, 'true');
        if (!removed) {
          peer.replaceAllowedIps = true;
          peer.allowedIps = [];
        }
        return;
      case 'allowed_ip': {
        const remove = value.startsWith('-');
        const text = remove ? value.slice(1) : value;
        if (removed) {
          if (!text.includes('/') || text.includes('%') || !parsePrefix(text)) this.invalidPrefix(value);
          return;
        }
        this.addAllowedIp(peer, text, remove);
        return;
      }
      case 'protocol_version':
        if (value !== '1') this.invalid(key, value, '1');
        return;
      default:
        throw new UapiError(UAPI_ERRNO.EINVAL, `${JSON.stringify(key)} is not a peer key${DEVICE_KEYS.has(key) ? ' (a device key after a public_key)' : ''}`, this.lineNumber);
    }
  }

  private addAllowedIp(peer: PeerChange, text: string, remove: boolean): void {
    // Go's netip.ParsePrefix: an address without zone and a mandatory /bits.
    if (!text.includes('/') || text.includes('%') || !this.runFor(peer, remove).prefixes.pushText(text)) this.invalidPrefix(remove ? `-${text}` : text);
  }

  /** The peer's run of allowed_ip lines of this kind, continued or started. */
  private runFor(peer: PeerChange, remove: boolean): AllowedIpRun {
    let run = peer.allowedIps.at(-1);
    if (!run || run.remove !== remove) {
      run = { remove, prefixes: new PrefixBatch(1024) };
      peer.allowedIps.push(run);
    }
    return run;
  }

  private invalidPrefix(value: string): never {
    this.invalid('allowed_ip', value, 'an IP prefix like 10.0.0.0/8, or -PREFIX to remove one');
  }

  private invalid(key: string, value: string, expected: string): never {
    const shown = value.length > 80 ? `${value.slice(0, 80)}...` : value;
    throw new UapiError(UAPI_ERRNO.EINVAL, `${key}: expected ${expected}, got ${JSON.stringify(shown)}`, this.lineNumber);
  }
}

const ALLOWED_IP = Buffer.from('allowed_ip=');
const DEVICE_KEYS = new Set(['private_key', 'listen_port', 'fwmark', 'replace_peers', 'source_check']);
const PEER_KEYS = new Set(['remove', 'update_only', 'preshared_key', 'endpoint', 'persistent_keepalive_interval', 'replace_allowed_ips', 'allowed_ip', 'protocol_version']);

/** Go's strconv.ParseUint(value, 10, bits): decimal digits only, leading zeros allowed. */
function parseUint(value: string, max: number): number | undefined {
  if (!/^\d+$/.test(value)) return undefined;
  const number = Number(value);
  return number <= max ? number : undefined;
}

/** Parses a whole request given as text or lines (without the `set=1` line). */
export function parseSetRequest(lines: string | Iterable<string>): SetTransaction {
  const parser = new SetRequestParser();
  for (const line of typeof lines === 'string' ? lines.split('\n') : lines) {
    if (line === '') break;
    parser.line(line);
  }
  return parser.finish();
}

