// A reference model of a device behind the UAPI, for tests: applies SetTransactions with the
// semantics of wireguard-go (replace_peers, update_only, remove, replace_allowed_ips, exact
// prefix removal, a prefix moving to its latest owner), all or nothing, and reports a
// UapiDeviceState. Deliberately naive: maps keyed by text.
import { isZeroKey, keyFromHex, keyToHex } from '../../src/config/keys.js';
import type { IpEndpoint } from '../../src/config/endpoint.js';
import type { SourceCheck } from '../../src/config/wg-config.js';
import { formatPrefix, maskPrefix, parsePrefix, type IpPrefix } from '../../src/net/ip.js';
import { UAPI_ERRNO, UapiError } from '../../src/uapi/errors.js';
import type { UapiHandler } from '../../src/uapi/server.js';
import type { SetTransaction } from '../../src/uapi/set-request.js';
import { formatGetResponse, type UapiDeviceState } from '../../src/uapi/status.js';

interface ModelPeer {
  presharedKey?: Uint8Array;
  endpoint?: IpEndpoint;
  persistentKeepaliveInterval: number;
}

interface ModelState {
  privateKey?: Uint8Array;
  listenPort?: number;
  fwmark?: number;
  sourceCheck?: SourceCheck;
  peers: Map<string, ModelPeer>; // by hex public key, in creation order
  owners: Map<string, string>; // masked prefix text -> hex public key
}

export class UapiModel implements UapiHandler {
  state: ModelState = { peers: new Map(), owners: new Map() };
  /** Ports whose binding fails with EADDRINUSE, to test all-or-nothing. */
  readonly busyPorts = new Set<number>();
  transactions = 0;

  get(): Iterable<string> {
    return formatGetResponse(this.status());
  }

  async set(tx: SetTransaction): Promise<void> {
    const next = this.apply(tx);
    this.state = next;
    this.transactions++;
  }

  status(): UapiDeviceState {
    const state = this.state;
    return {
      privateKey: state.privateKey,
      listenPort: state.listenPort,
      fwmark: state.fwmark,
      sourceCheck: state.sourceCheck,
      peers: [...state.peers].map(([hex, peer]) => ({
        publicKey: keyFromHex(hex)!,
        presharedKey: peer.presharedKey,
        endpoint: peer.endpoint,
        lastHandshakeTimeSec: 0,
        lastHandshakeTimeNsec: 0,
        txBytes: 0n,
        rxBytes: 0n,
        persistentKeepaliveInterval: peer.persistentKeepaliveInterval,
        allowedIps: this.prefixesOf(hex),
      })),
    };
  }

  prefixesOf(hex: string): IpPrefix[] {
    return [...this.state.owners].filter(([, owner]) => owner === hex).map(([text]) => parsePrefix(text)!);
  }

  /** A new state with tx applied; throws (leaving the model untouched) when tx cannot apply. */
  private apply(tx: SetTransaction): ModelState {
    if (tx.listenPort !== undefined && this.busyPorts.has(tx.listenPort)) {
      throw new UapiError(UAPI_ERRNO.EADDRINUSE, `port ${tx.listenPort} is in use`);
    }
    const next: ModelState = { ...this.state, peers: new Map([...this.state.peers].map(([k, p]) => [k, { ...p }])), owners: new Map(this.state.owners) };
    if (tx.privateKey) next.privateKey = isZeroKey(tx.privateKey) ? undefined : tx.privateKey;
    if (tx.listenPort !== undefined) next.listenPort = tx.listenPort;
    if (tx.fwmark !== undefined) next.fwmark = tx.fwmark || undefined;
    if (tx.sourceCheck) next.sourceCheck = tx.sourceCheck;
    if (tx.replacePeers) {
      next.peers.clear();
      next.owners.clear();
    }
    const dropPrefixes = (hex: string) => {
      for (const [text, owner] of next.owners) if (owner === hex) next.owners.delete(text);
    };
    for (const change of tx.peers) {
      const hex = keyToHex(change.publicKey);
      if (change.remove) {
        next.peers.delete(hex);
        dropPrefixes(hex);
        continue;
      }
      let peer = next.peers.get(hex);
      if (!peer) {
        if (change.updateOnly) continue;
        peer = { persistentKeepaliveInterval: 0 };
        next.peers.set(hex, peer);
      }
      if (change.presharedKey) peer.presharedKey = isZeroKey(change.presharedKey) ? undefined : change.presharedKey;
      if (change.endpoint) peer.endpoint = change.endpoint;
      if (change.persistentKeepaliveInterval !== undefined) peer.persistentKeepaliveInterval = change.persistentKeepaliveInterval;
      if (change.replaceAllowedIps) dropPrefixes(hex);
      for (const run of change.allowedIps) {
        for (const prefix of run.prefixes) {
          const text = formatPrefix(maskPrefix(prefix));
          if (!run.remove) {
            next.owners.delete(text); // re-inserting moves it to the end, as a fresh entry
            next.owners.set(text, hex);
          } else if (next.owners.get(text) === hex) next.owners.delete(text);
        }
      }
    }
    return next;
  }
}
