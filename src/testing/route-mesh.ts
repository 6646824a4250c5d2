// The seed's mesh for route mode, shared by the privileged tests and bench:routes: node A runs
// viaguardd --peer-selection route with N Debian wireguard-go peers, each in its own namespace
// joined to A by a veth pair and owning only its tunnel address in A's AllowedIPs. Every peer
// accepts anything from A, routes everything back to A, and holds 10.99.0.1 and fd99::1 on its
// loopback, so that only Linux routing on A decides which peer a packet reaches.
import { Namespace, connect, uniqueSuffix } from './netns.js';
import { requireTools } from './require-tools.js';
import { VIAGUARDD_PATH, wgKeyPair } from './tunnel-pair.js';

export interface MeshPeer {
  ns: Namespace;
  ifname: string;
  keys: { privateKey: string; publicKey: string };
  /** 100.64.0.(i + 2) and fd64::(i + 2) for peer i (A is .1 / ::1). */
  tunnel4: string;
  tunnel6: string;
}

export interface RouteMesh {
  a: Namespace;
  ifname: string;
  aKeys: { privateKey: string; publicKey: string };
  peers: MeshPeer[];
  /** Bytes A has sent to each peer so far, in peer order. */
  txByPeer(): Promise<number[]>;
  destroy(): Promise<void>;
}

export async function createRouteMesh(peerCount: number, prefix: string): Promise<RouteMesh> {
  requireTools('ip', 'wg', 'wireguard-go');
  const suffix = uniqueSuffix();
  const ifname = `${prefix}A${suffix}`;
  const aKeys = wgKeyPair();
  const a = await Namespace.create(`${prefix}A`);
  const peers: MeshPeer[] = [];
  const destroy = async () => {
    for (const p of peers) await p.ns.destroy();
    await a.destroy();
  };
  try {
    for (let i = 1; i <= peerCount; i++) {
      const ns = await Namespace.create(`${prefix}P${i}`);
      peers.push({ ns, ifname: `${prefix}P${i}${suffix}`, keys: wgKeyPair(), tunnel4: `100.64.0.${i + 1}`, tunnel6: `fd64::${i + 1}` });
      await connect(a, ns, { a4: `172.16.${i}.1`, b4: `172.16.${i}.2`, a6: `fd16:${i}::1`, b6: `fd16:${i}::2` });
    }
    await a.exec(process.execPath, [VIAGUARDD_PATH, '--peer-selection', 'route', ifname]);
    await a.exec('bash', ['-c', `wg set ${ifname} private-key <(echo ${aKeys.privateKey}) listen-port 51820`]);
    for (const [i, p] of peers.entries()) {
      await a.exec('wg', ['set', ifname, 'peer', p.keys.publicKey, 'endpoint', `172.16.${i + 1}.2:51820`, 'allowed-ips', `${p.tunnel4}/32,${p.tunnel6}/128`]);
      await p.ns.exec('wireguard-go', [p.ifname]);
      await p.ns.exec('bash', ['-c', `wg set ${p.ifname} private-key <(echo ${p.keys.privateKey}) listen-port 51820`]);
      await p.ns.exec('wg', ['set', p.ifname, 'peer', aKeys.publicKey, 'endpoint', `172.16.${i + 1}.1:51820`, 'allowed-ips', '0.0.0.0/0,::/0']);
      await p.ns.exec('ip', ['addr', 'add', `${p.tunnel4}/24`, 'dev', p.ifname]);
      await p.ns.exec('ip', ['addr', 'add', `${p.tunnel6}/64`, 'dev', p.ifname, 'nodad']);
      await p.ns.exec('ip', ['link', 'set', p.ifname, 'up']);
      await p.ns.exec('ip', ['route', 'add', 'default', 'dev', p.ifname]);
      await p.ns.exec('ip', ['-6', 'route', 'add', 'default', 'dev', p.ifname]);
      await p.ns.exec('ip', ['addr', 'add', '10.99.0.1/32', 'dev', 'lo']);
      await p.ns.exec('ip', ['addr', 'add', 'fd99::1/128', 'dev', 'lo']);
    }
    await a.exec('ip', ['addr', 'add', '100.64.0.1/24', 'dev', ifname]);
    await a.exec('ip', ['addr', 'add', 'fd64::1/64', 'dev', ifname, 'nodad']);
    await a.exec('ip', ['link', 'set', ifname, 'up']);
  } catch (error) {
    await destroy();
    throw error;
  }
  const txByPeer = async () => {
    const lines = (await a.exec('wg', ['show', ifname, 'transfer'])).trim().split('\n');
    const byKey = new Map(lines.map((l) => l.split('\t')).map(([key, , tx]) => [key, Number(tx)]));
    return peers.map((p) => byKey.get(p.keys.publicKey) ?? 0);
  };
  return { a, ifname, aKeys, peers, txByPeer, destroy };
}
