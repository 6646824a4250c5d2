// The text of `wg show` (wireguard-tools 1.0.20210914 src/show.c), byte for byte: the pretty
// listing with its ANSI colours (the caller strips them when stdout is no terminal), the `dump`
// tab format and the one-field listings. viaguard's own get keys (source_check, peer_selection,
// anything unknown) follow wg's lines in the pretty listing and are left out of the rest, so
// scripts written against `wg` keep working. Pure: the clock comes in as `now`.
import { keyToBase64 } from '../config/keys.js';
import type { DeviceSnapshot, PeerSnapshot } from '../uapi/status.js';
import { endpointText, prefixTexts } from './inet-ntop.js';
import { BOLD, CYAN, GREEN, RED, RESET, YELLOW } from './terminal.js';

/** A device as `show` prints it: the snapshot plus what wg derives from it. */
export interface ShownDevice {
  name: string;
  device: DeviceSnapshot;
  /** Derived from the private key (wg computes it with curve25519). */
  publicKey?: Uint8Array;
}

export interface PrettyOptions {
  /** Unix time in seconds, for "latest handshake: … ago". */
  now: number;
  /** WG_HIDE_KEYS=never: print private and preshared keys instead of "(hidden)". */
  showKeys: boolean;
}

export const SHOW_FIELDS = [
  'public-key',
  'private-key',
  'listen-port',
  'fwmark',
  'peers',
  'preshared-keys',
  'endpoints',
  'allowed-ips',
  'latest-handshakes',
  'persistent-keepalive',
  'transfer',
  'dump',
] as const;
export type ShowField = (typeof SHOW_FIELDS)[number];

const YEAR = 365 * 24 * 60 * 60;
const UNITS: [name: string, seconds: number][] = [
  ['year', YEAR],
  ['day', 24 * 60 * 60],
  ['hour', 60 * 60],
  ['minute', 60],
  ['second', 1],
];

/** show.c pretty_time: "1 year, 2 days, 1 minute, 3 seconds", zero units left out. */
export function prettyTime(seconds: number): string {
  const parts: string[] = [];
  let left = seconds;
  for (const [name, size] of UNITS) {
    const count = Math.floor(left / size);
    left -= count * size;
    if (count) parts.push(`${count} ${CYAN}${name}${count === 1 ? '' : 's'}${RESET}`);
  }
  return parts.join(', ');
}

export function ago(handshakeSec: number, now: number): string {
  if (now === handshakeSec) return 'Now';
  if (now < handshakeSec) return `(${RED}System clock wound backward; connection problems may ensue.${RESET})`;
  return `${prettyTime(now - handshakeSec)} ago`;
}

export function every(seconds: number): string {
  return `every ${prettyTime(seconds)}`;
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** show.c bytes(): "%u B" below 1 KiB, else "%.2f" of the double in the largest unit up to TiB. */
export function bytes(count: bigint): string {
  if (count < 1024n) return `${count} ${CYAN}B${RESET}`;
  let unit = 0;
  while (unit < BYTE_UNITS.length - 1 && count >= 1n << BigInt(10 * (unit + 2))) unit++;
  return `${printfFixed2(count, 10 * (unit + 1))} ${CYAN}${BYTE_UNITS[unit]}${RESET}`;
}

/**
 * printf("%.2f", (double)count / 2^shift): C converts the counter to the nearest double, divides
 * exactly by the power of two, and glibc rounds the exact binary value half to even (which JS's
 * toFixed does not: 1.125 is "1.12" in C, "1.13" in JS).
 */
function printfFixed2(count: bigint, shift: number): string {
  const exact = BigInt(Number(count));
  const scaled = exact * 100n;
  let hundredths = scaled >> BigInt(shift);
  const rest = scaled - (hundredths << BigInt(shift));
  const half = 1n << BigInt(shift - 1);
  if (rest > half || (rest === half && hundredths % 2n === 1n)) hundredths++;
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, '0')}`;
}

function key(value: Uint8Array): string {
  return keyToBase64(value);
}

function maybeKey(value: Uint8Array | undefined): string {
  return value ? key(value) : '(none)';
}

function maskedKey(value: Uint8Array, options: PrettyOptions): string {
  return options.showKeys ? key(value) : '(hidden)';
}

function hasHandshake(peer: PeerSnapshot): boolean {
  return peer.lastHandshakeTimeSec !== 0 || peer.lastHandshakeTimeNsec !== 0;
}

/** show.c sort_peers: latest handshake first, peers that never shook hands last (stable). */
export function sortPeersByHandshake(peers: readonly PeerSnapshot[]): PeerSnapshot[] {
  return [...peers].sort((a, b) => {
    if (!hasHandshake(a) && hasHandshake(b)) return 1;
    if (!hasHandshake(b) && hasHandshake(a)) return -1;
    const diff = a.lastHandshakeTimeSec - b.lastHandshakeTimeSec || a.lastHandshakeTimeNsec - b.lastHandshakeTimeNsec;
    return diff < 0 ? 1 : diff > 0 ? -1 : 0;
  });
}

function line(label: string, value: string): string {
  return `  ${BOLD}${label}${RESET}: ${value}\n`;
}

/** Extra get keys as "  source check: route" (the key with '_' read as a space). */
function extraLines(extra: Iterable<readonly [string, string]>): string {
  let text = '';
  for (const [name, value] of extra) text += line(name.replaceAll('_', ' '), value);
  return text;
}

function deviceExtras(device: DeviceSnapshot): [string, string][] {
  const extras: [string, string][] = [];
  if (device.sourceCheck) extras.push(['source_check', device.sourceCheck]);
  if (device.peerSelection) extras.push(['peer_selection', device.peerSelection]);
  return [...extras, ...device.extra];
}

/** show.c pretty_print, with ANSI colours; ends with '\n'. */
export function prettyDevice(shown: ShownDevice, options: PrettyOptions): string {
  const { device } = shown;
  let text = `${RESET}${GREEN}${BOLD}interface${RESET}: ${GREEN}${shown.name}${RESET}\n`;
  if (shown.publicKey) text += line('public key', key(shown.publicKey));
  if (device.privateKey) text += line('private key', maskedKey(device.privateKey, options));
  if (device.listenPort) text += line('listening port', String(device.listenPort));
  if (device.fwmark) text += line('fwmark', `0x${device.fwmark.toString(16)}`);
  text += extraLines(deviceExtras(device));
  const peers = sortPeersByHandshake(device.peers);
  if (peers.length) text += '\n';
  text += peers.map((peer) => prettyPeer(peer, options)).join('\n');
  return text;
}

function prettyPeer(peer: PeerSnapshot, options: PrettyOptions): string {
  let text = `${YELLOW}${BOLD}peer${RESET}: ${YELLOW}${key(peer.publicKey)}${RESET}\n`;
  if (peer.presharedKey) text += line('preshared key', maskedKey(peer.presharedKey, options));
  if (peer.endpoint) text += line('endpoint', endpointText(peer.endpoint));
  const prefixes = prefixTexts(peer.allowedIps).map((text) => text.replace('/', `${CYAN}/${RESET}`));
  text += line('allowed ips', prefixes.length ? prefixes.join(', ') : '(none)');
  if (peer.lastHandshakeTimeSec) text += line('latest handshake', ago(peer.lastHandshakeTimeSec, options.now));
  if (peer.rxBytes || peer.txBytes) text += line('transfer', `${bytes(peer.rxBytes)} received, ${bytes(peer.txBytes)} sent`);
  if (peer.persistentKeepaliveInterval) text += line('persistent keepalive', every(peer.persistentKeepaliveInterval));
  text += extraLines(peer.extra);
  return text;
}

function allowedIpsText(peer: PeerSnapshot, separator: string): string {
  const prefixes = prefixTexts(peer.allowedIps);
  return prefixes.length ? prefixes.join(separator) : '(none)';
}

function fwmarkText(device: DeviceSnapshot): string {
  return device.fwmark ? `0x${device.fwmark.toString(16)}` : 'off';
}

/** show.c dump_print: one device line, then one line per peer, tab-separated. */
export function dumpDevice(shown: ShownDevice, withInterface: boolean): string {
  const { device } = shown;
  const prefix = withInterface ? `${shown.name}\t` : '';
  let text = `${prefix}${maybeKey(device.privateKey)}\t${maybeKey(shown.publicKey)}\t${device.listenPort ?? 0}\t${fwmarkText(device)}\n`;
  for (const peer of device.peers) {
    const fields = [
      key(peer.publicKey),
      maybeKey(peer.presharedKey),
      peer.endpoint ? endpointText(peer.endpoint) : '(none)',
      allowedIpsText(peer, ','),
      String(peer.lastHandshakeTimeSec),
      String(peer.rxBytes),
      String(peer.txBytes),
      peer.persistentKeepaliveInterval ? String(peer.persistentKeepaliveInterval) : 'off',
    ];
    text += `${prefix}${fields.join('\t')}\n`;
  }
  return text;
}

/** show.c ugly_print: the lines of one field (peers in the daemon's order). */
export function fieldText(shown: ShownDevice, field: ShowField, withInterface: boolean): string {
  const { device } = shown;
  const prefix = withInterface ? `${shown.name}\t` : '';
  const perPeer = (value: (peer: PeerSnapshot) => string) => device.peers.map((peer) => `${prefix}${key(peer.publicKey)}${value(peer)}\n`).join('');
  switch (field) {
    case 'public-key':
      return `${prefix}${maybeKey(shown.publicKey)}\n`;
    case 'private-key':
      return `${prefix}${maybeKey(device.privateKey)}\n`;
    case 'listen-port':
      return `${prefix}${device.listenPort ?? 0}\n`;
    case 'fwmark':
      return `${prefix}${fwmarkText(device)}\n`;
    case 'endpoints':
      return perPeer((peer) => `\t${peer.endpoint ? endpointText(peer.endpoint) : '(none)'}`);
    case 'allowed-ips':
      return perPeer((peer) => `\t${allowedIpsText(peer, ' ')}`);
    case 'latest-handshakes':
      return perPeer((peer) => `\t${peer.lastHandshakeTimeSec}`);
    case 'transfer':
      return perPeer((peer) => `\t${peer.rxBytes}\t${peer.txBytes}`);
    case 'persistent-keepalive':
      return perPeer((peer) => `\t${peer.persistentKeepaliveInterval || 'off'}`);
    case 'preshared-keys':
      return perPeer((peer) => `\t${maybeKey(peer.presharedKey)}`);
    case 'peers':
      return perPeer(() => '');
    case 'dump':
      return dumpDevice(shown, withInterface);
  }
}
