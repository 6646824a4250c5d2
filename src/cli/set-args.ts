// The arguments of `viaguard set <interface> …` turned into a UAPI transaction, with the grammar
// and semantics of wireguard-tools src/config.c config_read_cmd: device options before the first
// `peer`; each `peer KEY` starts a change for that peer; `allowed-ips` replaces the peer's list,
// unless an item carries a '+' (add) or '-' (remove) prefix, which makes the whole peer's change
// incremental (upstream wg since 1.0.20250521; older daemons reject `allowed_ip=-…`).
import { parseEndpoint, parsePort, type Endpoint, type IpEndpoint } from '../config/endpoint.js';
import { clampPrivateKey, keyFromBase64 } from '../config/keys.js';
import { parseFwMark, parseKeepalive, SOURCE_CHECKS, type SourceCheck } from '../config/wg-config.js';
import { parsePrefix } from '../net/ip.js';
import { PrefixBatch } from '../native/prefix-batch.js';
import type { PeerChange, SetTransaction } from '../uapi/set-request.js';
import { CliError } from './errors.js';

export const SET_USAGE =
  'set <interface> [listen-port <port>] [fwmark <mark>] [private-key <file path>] [source-check allowed-ips|route|off] ' +
  '[peer <base64 public key> [remove] [preshared-key <file path>] [endpoint <ip>:<port>] [persistent-keepalive <interval seconds>] ' +
  '[allowed-ips [+|-]<ip1>/<cidr1>[,[+|-]<ip2>/<cidr2>]...] ]...';

export interface SetArgsContext {
  /** Reads a key file (empty: all-zero key). */
  readKeyFile(path: string): Promise<Uint8Array>;
  resolve(endpoint: Endpoint): Promise<IpEndpoint>;
}

const DEVICE_OPTIONS = ['listen-port', 'fwmark', 'private-key', 'source-check'];
const PEER_OPTIONS = ['remove', 'preshared-key', 'endpoint', 'persistent-keepalive', 'allowed-ips'];

function invalid(option: string, expected: string, got: string): CliError {
  return new CliError(`set: ${option}: expected ${expected}, got ${JSON.stringify(got)}`);
}

/** Adds one `allowed-ips` value to a peer change (wg strips every space first). */
export function applyAllowedIps(change: PeerChange, value: string): void {
  const text = value.replace(/[ \t\n\v\f\r]/g, '');
  change.replaceAllowedIps = true;
  if (text === '') return;
  for (const item of text.split(',')) {
    const sign = item[0] === '+' || item[0] === '-' ? item[0] : '';
    if (sign) change.replaceAllowedIps = false;
    const prefix = parsePrefix(item.slice(sign.length));
    if (!prefix) throw invalid('allowed-ips', 'comma-separated [+|-]address[/cidr] items', item);
    const remove = sign === '-';
    let run = change.allowedIps.at(-1);
    if (!run || run.remove !== remove) {
      run = { remove, prefixes: new PrefixBatch() };
      change.allowedIps.push(run);
    }
    run.prefixes.push(prefix);
  }
}

export async function parseSetArgs(args: readonly string[], context: SetArgsContext): Promise<SetTransaction> {
  const tx: SetTransaction = { replacePeers: false, peers: [] };
  let peer: PeerChange | undefined;
  for (let i = 0; i < args.length; ) {
    const option = args[i];
    const value = args[i + 1];
    if (option === 'remove' && peer) {
      peer.remove = true;
      i += 1;
      continue;
    }
    const known = option === 'peer' || DEVICE_OPTIONS.includes(option) || PEER_OPTIONS.includes(option);
    if (!known) throw new CliError(`set: invalid argument ${JSON.stringify(option)}`);
    if (DEVICE_OPTIONS.includes(option) && peer) throw new CliError(`set: ${option} is an interface option and must come before the first peer`);
    if (PEER_OPTIONS.includes(option) && !peer) throw new CliError(`set: ${option} is a peer option and needs a "peer <public key>" before it`);
    if (value === undefined) throw new CliError(`set: ${option} needs a value`);
    i += 2;
    switch (option) {
      case 'listen-port':
        tx.listenPort = parsePort(value) ?? throwIt(invalid(option, 'a port 0-65535', value));
        break;
      case 'fwmark':
        tx.fwmark = parseFwMark(value) ?? throwIt(invalid(option, '"off" or a mark 0-0xffffffff', value));
        break;
      case 'private-key':
        tx.privateKey = clampPrivateKey(await context.readKeyFile(value));
        break;
      case 'source-check':
        tx.sourceCheck = SOURCE_CHECKS.find((check): check is SourceCheck => check === value) ?? throwIt(invalid(option, SOURCE_CHECKS.join(', '), value));
        break;
      case 'peer':
        peer = {
          publicKey: keyFromBase64(value) ?? throwIt(invalid(option, 'a base64 public key of 32 bytes', value)),
          line: 0,
          remove: false,
          updateOnly: false,
          replaceAllowedIps: false,
          allowedIps: [],
        };
        tx.peers.push(peer);
        break;
      case 'preshared-key':
        peer!.presharedKey = await context.readKeyFile(value);
        break;
      case 'endpoint':
        peer!.endpoint = await context.resolve(parseEndpoint(value) ?? throwIt(invalid(option, '<host>:<port> or [<IPv6>]:<port>', value)));
        break;
      case 'persistent-keepalive':
        peer!.persistentKeepaliveInterval = parseKeepalive(value) ?? throwIt(invalid(option, '"off" or seconds 0-65535', value));
        break;
      case 'allowed-ips':
        applyAllowedIps(peer!, value);
        break;
    }
  }
  return tx;
}

function throwIt(error: Error): never {
  throw error;
}
