// A device as reported over the UAPI, turned into a config file model: what `wg showconf`
// prints (wireguard-tools src/showconf.c), plus viaguard's own keys when the daemon reports them.
import type { WgConfig } from '../config/wg-config.js';
import { endpointHost } from '../config/endpoint.js';
import type { DeviceSnapshot } from './status.js';

export function configFromStatus(status: DeviceSnapshot): WgConfig {
  return {
    interface: {
      privateKey: status.privateKey,
      listenPort: status.listenPort || undefined,
      fwMark: status.fwmark || undefined,
      peerSelection: status.peerSelection,
      sourceCheck: status.sourceCheck,
      addresses: [],
      dns: [],
      dnsSearch: [],
      preUp: [],
      postUp: [],
      preDown: [],
      postDown: [],
    },
    peers: status.peers.map((peer) => ({
      publicKey: peer.publicKey,
      presharedKey: peer.presharedKey,
      allowedIps: [...peer.allowedIps],
      endpoint: peer.endpoint && { host: endpointHost(peer.endpoint), port: peer.endpoint.port },
      persistentKeepalive: peer.persistentKeepaliveInterval || undefined,
    })),
  };
}
