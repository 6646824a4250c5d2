// `syncconf`: the setconf transaction rewritten so that peers present both in the file and on
// the device are updated in place (sessions and counters survive) instead of being replaced,
// as wireguard-tools src/setconf.c sync_conf does: drop replace_peers, remove the device's
// peers the file lacks, and clear a preshared key or keepalive the file no longer sets.
import { keyToHex, KEY_LENGTH } from '../config/keys.js';
import type { PeerChange, SetTransaction } from '../uapi/set-request.js';
import type { DeviceSnapshot } from '../uapi/status.js';

export function syncTransaction(file: SetTransaction, runtime: DeviceSnapshot): SetTransaction {
  if (!file.peers.length || !runtime.peers.length) return file;
  const inFile = new Set(file.peers.map((peer) => keyToHex(peer.publicKey)));
  const running = new Map(runtime.peers.map((peer) => [keyToHex(peer.publicKey), peer]));
  const removals: PeerChange[] = runtime.peers
    .filter((peer) => !inFile.has(keyToHex(peer.publicKey)))
    .map((peer) => ({ publicKey: peer.publicKey, line: 0, remove: true, updateOnly: false, replaceAllowedIps: false, allowedIps: [] }));
  const updates = file.peers.map((change) => {
    const current = running.get(keyToHex(change.publicKey));
    if (!current) return change;
    const updated = { ...change };
    if (current.presharedKey && !change.presharedKey) updated.presharedKey = new Uint8Array(KEY_LENGTH);
    if (current.persistentKeepaliveInterval && change.persistentKeepaliveInterval === undefined) updated.persistentKeepaliveInterval = 0;
    return updated;
  });
  return { ...file, replacePeers: false, peers: [...removals, ...updates] };
}
