// A real routing daemon on route mode: three nodes in a line (A - B - C), each with one
// viaguardd interface in route mode and Debian's babeld on it. A and C are not peers of each
// other. babeld finds its neighbours by link-local multicast (which route mode floods to every
// peer), talks to them by their link-local addresses (which the data plane learns from their
// packets and answers NDP for), and installs routes via them; A then reaches C's loopback
// addresses through B, IPv4 and IPv6, with the `route` source check on everywhere.
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Namespace, connect, uniqueSuffix } from '../../src/testing/netns.js';
import { VIAGUARDD_PATH, wgKeyPair } from '../../src/testing/tunnel-pair.js';
import { UapiClient } from '../../src/uapi/client.js';
import { requireTools } from '../../src/testing/require-tools.js';
import { requireRoot } from '../support/run.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Node {
  ns: Namespace;
  ifname: string;
  keys: { privateKey: string; publicKey: string };
  n: number;
}

describe('route mode: babeld on three nodes in a line, one viaguard interface each', function () {
  this.timeout(120_000);
  const suffix = uniqueSuffix();
  const nodes: Node[] = [];
  const files: string[] = [];

  async function waitForRoute(node: Node, family: '-4' | '-6', destination: string): Promise<string> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const out = (await node.ns.exec('ip', [family, 'route', 'show', destination])).trim();
      if (out) return out;
      if (Date.now() > deadline) throw new Error(`node ${node.n}: no route to ${destination} from babeld within 60 s`);
      await sleep(250);
    }
  }

  // babeld installs a route as soon as it hears one; the hops' neighbour entries (ARP/NDP, which
  // route mode answers) may still be resolving then, so the path is awaited before it is measured.
  async function waitForPath(node: Node, family: '-4' | '-6', source: string, destination: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!(await node.ns.exec('ping', [family, '-c', '1', '-W', '1', '-I', source, destination]).then(() => true, () => false))) {
      if (Date.now() > deadline) {
        const state = await Promise.all(nodes.map(async (n) => `node ${n.n}:\n${await n.ns.exec('ip', ['neigh', 'show', 'dev', n.ifname])}${await n.ns.exec('wg', ['show', n.ifname, 'latest-handshakes'])}`));
        throw new Error(`node ${node.n}: no reply from ${destination} within 20 s of its route\n${state.join('\n')}`);
      }
    }
  }

  before(async () => {
    requireRoot();
    requireTools('babeld', 'wireguard-go', 'wg', 'ping');
    for (let n = 1; n <= 3; n++) {
      nodes.push({ ns: await Namespace.create(`rtb${n}`), ifname: `rtb${n}${suffix}`, keys: wgKeyPair(), n });
    }
    // Outer links: A - B on 172.17.1.0/24, B - C on 172.17.2.0/24.
    await connect(nodes[0].ns, nodes[1].ns, { a4: '172.17.1.1', b4: '172.17.1.2', a6: 'fd17:1::1', b6: 'fd17:1::2' });
    await connect(nodes[1].ns, nodes[2].ns, { a4: '172.17.2.1', b4: '172.17.2.2', a6: 'fd17:2::1', b6: 'fd17:2::2' });
    const endpointOf = (from: Node, to: Node) => (from.n + to.n === 3 ? `172.17.1.${to.n}` : `172.17.2.${to.n - 1}`);
    for (const node of nodes) {
      const { ns, ifname } = node;
      for (const sysctl of ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1', 'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.all.rp_filter=0']) {
        await ns.exec('sysctl', ['-qw', sysctl]);
      }
      await ns.exec(process.execPath, [VIAGUARDD_PATH, '--peer-selection', 'route', ifname]);
      // Before any peer exists, so that no packet meets another check.
      assert.equal(await new UapiClient(ifname).set(['source_check=route']), 0);
      await ns.exec('bash', ['-c', `wg set ${ifname} private-key <(echo ${node.keys.privateKey}) listen-port 51820`]);
      for (const other of nodes) {
        if (Math.abs(other.n - node.n) !== 1) continue;
        await ns.exec('wg', ['set', ifname, 'peer', other.keys.publicKey, 'endpoint', `${endpointOf(node, other)}:51820`, 'persistent-keepalive', '1', 'allowed-ips', `100.66.0.${other.n}/32,fd66::${other.n}/128`]);
      }
      await ns.exec('ip', ['addr', 'add', `100.66.0.${node.n}/24`, 'dev', ifname]);
      await ns.exec('ip', ['addr', 'add', `fd66::${node.n}/64`, 'dev', ifname, 'nodad']);
      await ns.exec('sysctl', ['-qw', `net.ipv4.conf.${ifname}.send_redirects=0`]);
      await ns.exec('ip', ['link', 'set', ifname, 'up']);
      await ns.exec('ip', ['addr', 'add', `10.200.0.${node.n}/32`, 'dev', 'lo']);
      await ns.exec('ip', ['addr', 'add', `fd20::${node.n}/128`, 'dev', 'lo']);
      const base = join(tmpdir(), `babeld-${ifname}`);
      files.push(`${base}.conf`, `${base}.pid`, `${base}.state`);
      writeFileSync(
        `${base}.conf`,
        [
          `interface ${ifname} type wired split-horizon false hello-interval 1 update-interval 4`,
          `redistribute local ip 10.200.0.${node.n}/32 allow`,
          `redistribute local ip fd20::${node.n}/128 allow`,
          'redistribute local deny',
          '',
        ].join('\n'),
      );
      const babeld = ns.spawn('babeld', ['-c', `${base}.conf`, '-I', `${base}.pid`, '-S', `${base}.state`, '-d', '0', ifname]);
      babeld.on('error', (error) => assert.fail(`babeld did not start: ${error.message}`));
    }
  });

  after(async () => {
    for (const node of nodes) await node.ns.destroy();
    for (const file of files) rmSync(file, { force: true });
  });

  it('installs routes from A to C via B, and forwards IPv4 and IPv6 through B', async () => {
    const [a, b, c] = nodes;
    const v4 = await waitForRoute(a, '-4', '10.200.0.3');
    assert.match(v4, /proto babel/);
    assert.match(v4, new RegExp(`via (inet6 fe80::\\S+|100\\.66\\.0\\.2) dev ${a.ifname}`), `A's route to C goes via B: ${v4}`);
    const v6 = await waitForRoute(a, '-6', 'fd20::3');
    assert.match(v6, new RegExp(`via fe80::\\S+ dev ${a.ifname} proto babel`), v6);
    await waitForRoute(c, '-4', '10.200.0.1');
    await waitForRoute(c, '-6', 'fd20::1');

    await waitForPath(a, '-4', '10.200.0.1', '10.200.0.3');
    await waitForPath(a, '-6', 'fd20::1', 'fd20::3');
    // While babeld converges, a packet may meet a node before its route back to the source does:
    // the `route` check refuses it, as it should. Once the paths hold, nothing may be refused.
    const sourceCheckDrops = async () =>
      Promise.all(nodes.map(async (node) => (await new UapiClient(node.ifname).get()).peers.map((peer) => Number(peer.extra.find(([k]) => k === 'source_check_drops')?.[1]))));
    const dropsBefore = await sourceCheckDrops();
    const bBefore = Number((await b.ns.exec('wg', ['show', b.ifname, 'transfer'])).split('\n').filter(Boolean).reduce((sum, l) => sum + Number(l.split('\t')[2]), 0));
    await a.ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '5', '-I', '10.200.0.1', '10.200.0.3']);
    await a.ns.exec('ping', ['-6', '-c', '3', '-i', '0.2', '-W', '5', '-I', 'fd20::1', 'fd20::3']);
    const bAfter = Number((await b.ns.exec('wg', ['show', b.ifname, 'transfer'])).split('\n').filter(Boolean).reduce((sum, l) => sum + Number(l.split('\t')[2]), 0));
    assert.ok(bAfter > bBefore, 'B carried the traffic');
    // A is no peer of C: everything between them went through B.
    assert.equal((await a.ns.exec('wg', ['show', a.ifname, 'peers'])).trim().split('\n').length, 1);
    assert.deepEqual(await sourceCheckDrops(), dropsBefore, 'source check drops (per node, per peer) grew while the paths held');
    for (const node of nodes) {
      const status = await new UapiClient(node.ifname).get();
      for (const peer of status.peers) {
        assert.ok(peer.extra.some(([k, v]) => k === 'learnt_ip' && v.startsWith('fe80:')), `node ${node.n} learnt its neighbour's link-local address`);
      }
    }
  });
});
