// A config file turned into the UAPI transaction `wg setconf` / `wg addconf` would send
// (wireguard-tools src/config.c config_read_init, src/ipc-uapi.h): setconf replaces every peer
// and resets the private key, port and fwmark the file leaves out; addconf sends only what the
// file holds. Every [Peer] replaces its own AllowedIPs, as in wg.
import { parseIpEndpoint, type Endpoint, type IpEndpoint } from '../config/endpoint.js';
import { clampPrivateKey, KEY_LENGTH } from '../config/keys.js';
import type { WgConfig } from '../config/wg-config.js';
import { PrefixBatch } from '../native/prefix-batch.js';
import type { PeerChange, SetTransaction } from './set-request.js';

export interface ConfigTransactionOptions {
  /** true: `setconf` (replace everything); false: `addconf`. */
  replace: boolean;
  /** Turns a DNS name into an address; without it, endpoints must be IP literals. */
  resolve?: (endpoint: Endpoint) => Promise<IpEndpoint>;
}

export async function configToSetTransaction(config: WgConfig, options: ConfigTransactionOptions): Promise<SetTransaction> {
  const iface = config.interface;
  const tx: SetTransaction = { replacePeers: options.replace, peers: [] };
  const privateKey = iface.privateKey ?? (options.replace ? new Uint8Array(KEY_LENGTH) : undefined);
  if (privateKey) tx.privateKey = clampPrivateKey(privateKey);
  const listenPort = iface.listenPort ?? (options.replace ? 0 : undefined);
  if (listenPort !== undefined) tx.listenPort = listenPort;
  const fwmark = iface.fwMark ?? (options.replace ? 0 : undefined);
  if (fwmark !== undefined) tx.fwmark = fwmark;
  if (iface.sourceCheck) tx.sourceCheck = iface.sourceCheck;
  for (const peer of config.peers) {
    const prefixes = new PrefixBatch(Math.max(1, peer.allowedIps.length));
    for (const prefix of peer.allowedIps) prefixes.push(prefix);
    const change: PeerChange = {
      publicKey: peer.publicKey,
      line: 0,
      remove: false,
      updateOnly: false,
      replaceAllowedIps: true,
      allowedIps: prefixes.length ? [{ remove: false, prefixes }] : [],
    };
    if (peer.presharedKey) change.presharedKey = peer.presharedKey;
    if (peer.endpoint) change.endpoint = await resolveEndpoint(peer.endpoint, options.resolve);
    if (peer.persistentKeepalive !== undefined) change.persistentKeepaliveInterval = peer.persistentKeepalive;
    tx.peers.push(change);
  }
  return tx;
}

async function resolveEndpoint(endpoint: Endpoint, resolve: ConfigTransactionOptions['resolve']): Promise<IpEndpoint> {
  const literal = parseIpEndpoint(endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`);
  if (literal) return literal;
  if (!resolve) throw new Error(`Endpoint ${endpoint.host}:${endpoint.port}: a DNS name, and no resolver was given`);
  return resolve(endpoint);
}
