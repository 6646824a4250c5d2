// Writing configs back as text: `wg showconf` layout for wg's keys (wireguard-tools
// src/showconf.c), with wg-quick's keys first in [Interface] as `wg-quick save` writes them, and
// `wg-quick strip`, which leaves only what `wg setconf` accepts.
import { formatIp, formatPrefix } from '../net/ip.js';
import { formatEndpoint } from './endpoint.js';
import { keyToBase64 } from './keys.js';
import { parseWgConfig, scanConfigLines, type InterfaceConfig, type PeerConfig, type WgConfig } from './wg-config.js';

export function formatWgConfig(config: WgConfig): string {
  const sections = [formatInterface(config.interface), ...config.peers.map(formatPeer)];
  return sections.join('\n');
}

function formatInterface(iface: InterfaceConfig): string {
  const lines = ['[Interface]'];
  for (const address of iface.addresses) lines.push(`Address = ${formatPrefix(address)}`);
  const dns = [...iface.dns.map(formatIp), ...iface.dnsSearch];
  if (dns.length) lines.push(`DNS = ${dns.join(', ')}`);
  if (iface.mtu !== undefined) lines.push(`MTU = ${iface.mtu}`);
  if (iface.table !== undefined) lines.push(`Table = ${iface.table}`);
  if (iface.saveConfig !== undefined) lines.push(`SaveConfig = ${iface.saveConfig}`);
  for (const [key, commands] of [['PreUp', iface.preUp], ['PostUp', iface.postUp], ['PreDown', iface.preDown], ['PostDown', iface.postDown]] as const) {
    for (const command of commands) lines.push(`${key} = ${command}`);
  }
  if (iface.peerSelection) lines.push(`PeerSelection = ${iface.peerSelection}`);
  if (iface.sourceCheck) lines.push(`SourceCheck = ${iface.sourceCheck}`);
  if (iface.listenPort !== undefined) lines.push(`ListenPort = ${iface.listenPort}`);
  if (iface.fwMark) lines.push(`FwMark = 0x${iface.fwMark.toString(16)}`);
  if (iface.privateKey) lines.push(`PrivateKey = ${keyToBase64(iface.privateKey)}`);
  return `${lines.join('\n')}\n`;
}

function formatPeer(peer: PeerConfig): string {
  const lines = ['[Peer]', `PublicKey = ${keyToBase64(peer.publicKey)}`];
  if (peer.presharedKey) lines.push(`PresharedKey = ${keyToBase64(peer.presharedKey)}`);
  if (peer.allowedIps.length) lines.push(`AllowedIPs = ${peer.allowedIps.map(formatPrefix).join(', ')}`);
  if (peer.endpoint) lines.push(`Endpoint = ${formatEndpoint(peer.endpoint)}`);
  if (peer.persistentKeepalive) lines.push(`PersistentKeepalive = ${peer.persistentKeepalive}`);
  return `${lines.join('\n')}\n`;
}

export interface StripOptions {
  /** Named in error messages. */
  file?: string;
  /** Keep PeerSelection/SourceCheck (for viaguard's own setconf); the real wg rejects them. Default false. */
  keepViaguardKeys?: boolean;
}

/**
 * Like `wg-quick strip`: the file's own lines (comments included) minus wg-quick's keys. The
 * whole file is validated first, so a broken file throws a ConfigError instead of being passed on.
 */
export function stripWgQuick(text: string, options: StripOptions = {}): string {
  parseWgConfig(text, { file: options.file });
  const dropped = new Set<number>();
  for (const entry of scanConfigLines(text, options.file)) {
    if (entry.kind !== 'entry') continue;
    if (entry.group === 'wg-quick' || (entry.group === 'viaguard' && !options.keepViaguardKeys)) dropped.add(entry.line);
  }
  const kept = text.split('\n').filter((_, index) => !dropped.has(index + 1));
  return kept.join('\n');
}
