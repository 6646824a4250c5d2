// The UAPI's get and set on a Device, with wireguard-go's meaning of every key
// (device/uapi.go): a peer whose key is our own is ignored, `update_only` skips unknown peers,
// `remove` drops one, `replace_allowed_ips` clears before adding. The server hands over a
// whole, already validated transaction; what can still fail at apply time (the port being
// taken) is done first, so a failed set changes nothing.
import { formatEndpoint } from '../config/endpoint.js';
import { keyToHex } from '../config/keys.js';
import type { Logger } from '../log.js';
import { scheduleCompaction } from '../native/memory.js';
import { formatMac } from '../native/dataplane.js';
import { peerMac } from '../native/dataplane.js';
import type { NativeSystemError } from '../native/native.js';
import { UAPI_ERRNO, UapiError } from '../uapi/errors.js';
import type { UapiHandler } from '../uapi/server.js';
import type { PeerChange, SetTransaction } from '../uapi/set-request.js';
import { formatGetResponse, type UapiDeviceState, type UapiPeerState } from '../uapi/status.js';
import type { WatchEvent } from '../uapi/watch.js';
import type { DeviceEngine } from './engine.js';
import type { DeviceEvent } from './events.js';

export function createUapiHandler(device: DeviceEngine, log: Logger): UapiHandler {
  return {
    *get() {
      const status = deviceStatus(device);
      try {
        yield* formatGetResponse(status);
      } finally {
        status.privateKey?.fill(0); // a copy made for this reply
      }
    },
    set: async (tx) => {
      try {
        applySet(device, tx, log);
      } finally {
        // The device keeps copies: the request's key bytes are not left for the heap to hold.
        tx.privateKey?.fill(0);
        for (const change of tx.peers) change.presharedKey?.fill(0);
      }
    },
    watch: (listener) => {
      const forward = (event: DeviceEvent) => listener(watchEvent(event));
      device.on('event', forward);
      return () => device.off('event', forward);
    },
  };
}

/** A device event in the UAPI's watch format (uapi/watch.ts): keys in hex, as in a get reply. */
function watchEvent(event: DeviceEvent): WatchEvent {
  const fields: WatchEvent['fields'] = [['public_key', keyToHex(event.peer)]];
  switch (event.type) {
    case 'peerAdded':
      return { name: 'peer_added', fields };
    case 'peerChanged':
      return { name: 'peer_changed', fields };
    case 'peerRemoved':
      return { name: 'peer_removed', fields };
    case 'handshakeFailed':
      return { name: 'handshake_failed', fields };
    case 'endpoint':
      fields.push(['endpoint', formatEndpoint(event.endpoint)]);
      return { name: 'endpoint', fields };
    case 'session':
      if (event.endpoint) fields.push(['endpoint', formatEndpoint(event.endpoint)]);
      return { name: 'session', fields };
    case 'allowedIps':
      fields.push(['added', String(event.added)], ['removed', String(event.removed)]);
      for (const prefix of event.prefixes?.added ?? []) fields.push(['allowed_ip', `+${prefix}`]);
      for (const prefix of event.prefixes?.removed ?? []) fields.push(['allowed_ip', `-${prefix}`]);
      return { name: 'allowed_ips', fields };
  }
}

function deviceStatus(device: DeviceEngine): UapiDeviceState {
  return {
    privateKey: device.privateKey,
    listenPort: device.listenPort,
    fwmark: device.fwmark,
    sourceCheck: device.sourceCheck,
    peerSelection: device.peerSelection,
    // Counters that are still 0 are left out: a healthy device's `viaguard show` stays short.
    extra: Object.entries(device.counters()).flatMap(([name, value]) => (value ? [[counterKey(name), String(value)] as const] : [])),
    peers: device.peers().map(
      (peer): UapiPeerState => ({
        publicKey: peer.publicKey,
        presharedKey: peer.presharedKey,
        endpoint: peer.endpoint,
        lastHandshakeTimeSec: peer.lastHandshakeMs === undefined ? 0 : Math.floor(peer.lastHandshakeMs / 1000),
        lastHandshakeTimeNsec: peer.lastHandshakeMs === undefined ? 0 : (peer.lastHandshakeMs % 1000) * 1_000_000,
        txBytes: BigInt(peer.txBytes),
        rxBytes: BigInt(peer.rxBytes),
        persistentKeepaliveInterval: peer.persistentKeepalive,
        allowedIps: device.allowedIps.walkBatch(peer.id),
        extra: peerExtra(device, peer.id, peer.sourceCheckDrops),
      }),
    ),
  };
}

/** viaguard's own peer keys: the source check's drops; in route mode the peer's MAC and learnt addresses. */
function peerExtra(device: DeviceEngine, id: number, sourceCheckDrops: number): [string, string][] {
  const extra: [string, string][] = [['source_check_drops', String(sourceCheckDrops)]];
  if (device.peerSelection !== 'route') return extra;
  extra.push(['peer_mac', formatMac(device.peerMacOf(id))]);
  for (const address of device.learntAddressesOf(id)) extra.push(['learnt_ip', address]);
  return extra;
}

/** droppedGarbage -> dropped_garbage; handshakeDropped.invalidMac1 -> handshake_dropped_invalid_mac1. */
function counterKey(name: string): string {
  return name.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

function applySet(device: DeviceEngine, tx: SetTransaction, log: Logger): void {
  checkRouteMacs(device, tx);
  if (tx.listenPort !== undefined) bindPort(device, tx.listenPort);
  if (tx.privateKey) device.setPrivateKey(tx.privateKey);
  if (tx.fwmark !== undefined) device.setFwmark(tx.fwmark);
  if (tx.sourceCheck) device.setSourceCheck(tx.sourceCheck);
  device.changePeers(() => {
    if (tx.replacePeers) device.removeAllPeers();
    for (const change of tx.peers) applyPeerChange(device, change, log);
  });
  if (tx.replacePeers || prefixCount(tx) >= BULK_PREFIXES) scheduleCompaction();
}

/** A set this large leaves enough buffers behind to be worth handing back (see memory.ts). */
const BULK_PREFIXES = 10_000;

function prefixCount(tx: SetTransaction): number {
  let count = 0;
  for (const change of tx.peers) for (const run of change.allowedIps) count += run.prefixes.length;
  return count;
}

/**
 * Route mode names a peer by a MAC derived from its key: refuse, before changing anything, a
 * new peer whose MAC another peer (existing or new in this set) already has.
 */
function checkRouteMacs(device: DeviceEngine, tx: SetTransaction): void {
  if (device.peerSelection !== 'route') return;
  const keyByMac = new Map<string, string>();
  for (const change of tx.peers) {
    if (change.remove || device.isOwnKey(change.publicKey)) continue;
    const key = Buffer.from(change.publicKey).toString('hex');
    const mac = Buffer.from(peerMac(change.publicKey)).toString('hex');
    const existing = tx.replacePeers ? undefined : device.macOwner(change.publicKey);
    const other = keyByMac.get(mac);
    if (existing !== undefined || (other !== undefined && other !== key)) {
      throw new UapiError(UAPI_ERRNO.EINVAL, "public_key: its route-mode MAC is already another peer's; use another key", change.line);
    }
    keyByMac.set(mac, key);
  }
}

function bindPort(device: DeviceEngine, port: number): void {
  try {
    device.setListenPort(port);
  } catch (error) {
    const code = (error as NativeSystemError).code;
    if (code === 'EADDRINUSE') throw new UapiError(UAPI_ERRNO.EADDRINUSE, `listen_port=${port}: the port is in use`);
    throw new UapiError(UAPI_ERRNO.EIO, `listen_port=${port}: ${(error as Error).message}`);
  }
}

function applyPeerChange(device: DeviceEngine, change: PeerChange, log: Logger): void {
  if (device.isOwnKey(change.publicKey)) {
    log.verbose(`line ${change.line}: ignoring a peer whose key is this interface's own public key`);
    return;
  }
  let id = device.peerId(change.publicKey);
  if (change.remove) {
    if (id !== undefined) device.removePeer(id);
    return;
  }
  if (id === undefined) {
    if (change.updateOnly) return;
    id = device.addPeer(change.publicKey);
  }
  if (change.presharedKey !== undefined || change.endpoint !== undefined || change.persistentKeepaliveInterval !== undefined) {
    device.updatePeer(id, {
      presharedKey: change.presharedKey,
      endpoint: change.endpoint,
      persistentKeepalive: change.persistentKeepaliveInterval,
    });
  }
  if (change.replaceAllowedIps) device.clearAllowedIps(id);
  for (const run of change.allowedIps) {
    if (run.remove) device.removeAllowedIps(id, run.prefixes);
    else device.addAllowedIps(id, run.prefixes);
  }
}
