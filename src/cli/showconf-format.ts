// The text of `wg showconf` (wireguard-tools 1.0.20210914 src/showconf.c), byte for byte. The
// generic config writer (config/wg-config-format.ts) writes addresses as RFC 5952 does; wg
// writes them with inet_ntop, which differs for IPv4-mapped and -compatible prefixes, hence this
// writer of its own. viaguard's [Interface] keys come first, where wg-config-format puts them.
import { keyToBase64 } from '../config/keys.js';
import type { DeviceSnapshot, PeerSnapshot } from '../uapi/status.js';
import { endpointText, prefixTexts } from './inet-ntop.js';

function peerSection(peer: PeerSnapshot): string {
  let text = `[Peer]\nPublicKey = ${keyToBase64(peer.publicKey)}\n`;
  if (peer.presharedKey) text += `PresharedKey = ${keyToBase64(peer.presharedKey)}\n`;
  if (peer.allowedIps.length) text += `AllowedIPs = ${prefixTexts(peer.allowedIps).join(', ')}\n`;
  if (peer.endpoint) text += `Endpoint = ${endpointText(peer.endpoint)}\n`;
  if (peer.persistentKeepaliveInterval) text += `PersistentKeepalive = ${peer.persistentKeepaliveInterval}\n`;
  return text;
}

export function showconfText(device: DeviceSnapshot): string {
  let text = '[Interface]\n';
  if (device.peerSelection) text += `PeerSelection = ${device.peerSelection}\n`;
  if (device.sourceCheck) text += `SourceCheck = ${device.sourceCheck}\n`;
  if (device.listenPort) text += `ListenPort = ${device.listenPort}\n`;
  if (device.fwmark) text += `FwMark = 0x${device.fwmark.toString(16)}\n`;
  if (device.privateKey) text += `PrivateKey = ${keyToBase64(device.privateKey)}\n`;
  return `${text}\n${device.peers.map(peerSection).join('\n')}`;
}
