// `viaguard show --json`: devices as typed JSON for scripts, described by the JSON Schemas the
// package ships (schemas/show-device.schema.json, show-all, show-interfaces): counters are
// numbers, times are integers with their unit in the name, viaguard's own get keys have fields
// of their own. Part of the interface: add fields, never rename or retype them.
import { keyToBase64 } from '../config/keys.js';
import type { PeerSnapshot } from '../uapi/status.js';
import { endpointText, prefixTexts } from './inet-ntop.js';
import type { ShownDevice } from './show-format.js';

export interface PeerJson {
  publicKey: string;
  presharedKey: string | null;
  endpoint: string | null;
  allowedIps: string[];
  /** Unix time in milliseconds; 0: never. */
  latestHandshakeUnixMs: number;
  rxBytes: number;
  txBytes: number;
  /** 0: off. */
  persistentKeepaliveSeconds: number;
  /** null: the daemon has no source check (wireguard-go). */
  sourceCheckDrops: number | null;
  /** Route mode: the MAC standing for the peer on the TAP interface. */
  peerMac: string | null;
  /** Route mode: addresses learnt from the peer's authenticated packets. */
  learntIps: string[];
  /** Get keys this version does not know, as the daemon sent them. */
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
  /** The daemon's counters by get key (dropped_garbage, …); one not listed is 0. */
  counters: Record<string, number>;
  extra: Record<string, string>;
  peers: PeerJson[];
}

const PEER_KEYS = new Set(['source_check_drops', 'peer_mac', 'learnt_ip']);
const isCounter = ([key, value]: [string, string]) => /^[a-z][a-z0-9_]*$/.test(key) && /^\d+$/.test(value);

function peerJson(peer: PeerSnapshot): PeerJson {
  const value = (key: string) => peer.extra.find(([k]) => k === key)?.[1];
  const drops = value('source_check_drops');
  return {
    publicKey: keyToBase64(peer.publicKey),
    presharedKey: peer.presharedKey ? keyToBase64(peer.presharedKey) : null,
    endpoint: peer.endpoint ? endpointText(peer.endpoint) : null,
    allowedIps: prefixTexts(peer.allowedIps),
    latestHandshakeUnixMs: peer.lastHandshakeTimeSec * 1000 + Math.floor(peer.lastHandshakeTimeNsec / 1_000_000),
    rxBytes: Number(peer.rxBytes),
    txBytes: Number(peer.txBytes),
    persistentKeepaliveSeconds: peer.persistentKeepaliveInterval,
    sourceCheckDrops: drops === undefined ? null : Number(drops),
    peerMac: value('peer_mac') ?? null,
    learntIps: peer.extra.filter(([k]) => k === 'learnt_ip').map(([, v]) => v),
    extra: Object.fromEntries(peer.extra.filter(([k]) => !PEER_KEYS.has(k))),
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
    counters: Object.fromEntries(device.extra.filter(isCounter).map(([k, v]) => [k, Number(v)])),
    extra: Object.fromEntries(device.extra.filter((entry) => !isCounter(entry))),
    peers: device.peers.map(peerJson),
  };
}
