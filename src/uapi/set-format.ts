// Writes a SetTransaction as the lines of a UAPI set request (without `set=1` and the closing
// blank line), in the order wireguard-tools' ipc-uapi.h writes them.
import { formatEndpoint } from '../config/endpoint.js';
import { keyToHex } from '../config/keys.js';
import { formatPrefix } from '../net/ip.js';
import type { SetTransaction } from './set-request.js';

export function* formatSetTransaction(tx: SetTransaction): Generator<string> {
  if (tx.privateKey) yield `private_key=${keyToHex(tx.privateKey)}`;
  if (tx.listenPort !== undefined) yield `listen_port=${tx.listenPort}`;
  if (tx.fwmark !== undefined) yield `fwmark=${tx.fwmark}`;
  if (tx.replacePeers) yield 'replace_peers=true';
  if (tx.sourceCheck) yield `source_check=${tx.sourceCheck}`;
  for (const peer of tx.peers) {
    yield `public_key=${keyToHex(peer.publicKey)}`;
    if (peer.remove) {
      yield 'remove=true';
      continue;
    }
    if (peer.updateOnly) yield 'update_only=true';
    if (peer.presharedKey) yield `preshared_key=${keyToHex(peer.presharedKey)}`;
    if (peer.endpoint) yield `endpoint=${formatEndpoint(peer.endpoint)}`;
    if (peer.persistentKeepaliveInterval !== undefined) yield `persistent_keepalive_interval=${peer.persistentKeepaliveInterval}`;
    if (peer.replaceAllowedIps) yield 'replace_allowed_ips=true';
    for (const run of peer.allowedIps) {
      const sign = run.remove ? '-' : '';
      for (const prefix of run.prefixes) yield `allowed_ip=${sign}${formatPrefix(prefix)}`;
    }
  }
}
