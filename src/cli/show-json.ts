// `viaguard show --json`: devices as JSON for scripts. The schema is documented in the usage text
// (usage.ts) and is part of the interface: add fields, never rename or retype them.
import { keyToBase64 } from '../config/keys.js';
import type { PeerSnapshot } from '../uapi/status.js';
import { endpointText, prefixTexts } from './inet-ntop.js';
import type { ShownDevice } from './show-format.js';

export interface PeerJson {
  publicKey: string;
  presharedKey: string | null;
  endpoint: string | null;
  allowedIps: string[];
  /** Unix seconds; 0: never. */
  latestHandshake: number;
  latestHandshakeNsec: number;
  rxBytes: number;
  txBytes: number;
  /** Seconds; 0: off. */
  persistentKeepalive: number;
  extra: Record<string, string>;
}

export interface DeviceJson {
  name: string;
  publicKey: string | null;
  privateKey: string | null;
  /** 0: none. */
  listenPort: number;
  /** 0: off. */
  fwmark: number;
  sourceCheck: string | null;
  peerSelection: string | null;
  extra: Record<string, string>;
  peers: PeerJson[];
}

function peerJson(peer: PeerSnapshot): PeerJson {
  return {
    publicKey: keyToBase64(peer.publicKey),
    presharedKey: peer.presharedKey ? keyToBase64(peer.presharedKey) : null,
    endpoint: peer.endpoint ? endpointText(peer.endpoint) : null,
    allowedIps: prefixTexts(peer.allowedIps),
    latestHandshake: peer.lastHandshakeTimeSec,
    latestHandshakeNsec: peer.lastHandshakeTimeNsec,
    rxBytes: Number(peer.rxBytes),
    txBytes: Number(peer.txBytes),
    persistentKeepalive: peer.persistentKeepaliveInterval,
    extra: Object.fromEntries(peer.extra),
  };
}

export function deviceJson(shown: ShownDevice): DeviceJson {
  const { device } = shown;
  return {
    name: shown.name,
    publicKey: shown.publicKey ? keyToBase64(shown.publicKey) : null,
    privateKey: device.privateKey ? keyToBase64(device.privateKey) : null,
    listenPort: device.listenPort ?? 0,
    fwmark: device.fwmark ?? 0,
    sourceCheck: device.sourceCheck ?? null,
    peerSelection: device.peerSelection ?? null,
    extra: Object.fromEntries(device.extra),
    peers: device.peers.map(peerJson),
  };
}
