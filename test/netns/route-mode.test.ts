// Route mode with the seed's mesh: node A runs viaguardd --peer-selection route with three
// Debian wireguard-go peers, each in its own namespace and owning only its tunnel address in
// A's AllowedIPs. Every peer also holds the same destination 10.99.0.1 (and P3 fd99::1), so
// only Linux routing on A decides which one a packet reaches: the main table, an `ip rule`
// on source, an `ip rule` on fwmark (via an IPv6 gateway), ECMP and IPv6 gateways. A's per-peer
// transmit counters prove which peer carried each flow.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { peerMac, formatMac } from '../../src/native/dataplane.js';
import { uniqueSuffix, type Namespace } from '../../src/testing/netns.js';
import { createRouteMesh, type MeshPeer, type RouteMesh } from '../../src/testing/route-mesh.js';
import { VIAGUARDD_PATH } from '../../src/testing/tunnel-pair.js';
import type { RouteReport } from '../../src/device/route-report.js';
import { UapiClient } from '../../src/uapi/client.js';
import { requireRoot } from '../support/run.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('route mode: Linux routing picks the peer (viaguardd + three wireguard-go peers)', function () {
  this.timeout(120_000);
  const suffix = uniqueSuffix();
  let mesh: RouteMesh | undefined;
  let a: Namespace | undefined;
  let ifname = '';
  let peers: MeshPeer[] = [];

  const inA = (cmd: string, args: string[]) => a!.exec(cmd, args);
  /** Runs traffic and returns how many bytes A sent to each peer (by index) meanwhile. */
  async function carried(traffic: () => Promise<unknown>): Promise<number[]> {
    const before = await mesh!.txByPeer();
    await traffic();
    const after = await mesh!.txByPeer();
    return after.map((tx, i) => tx - before[i]);
  }
  /** Asserts that the flow went through peer `index` only (1 KB pings; strays are small multicast). */
  function assertCarriedBy(deltas: number[], index: number, what: string): void {
    deltas.forEach((d, i) => {
      if (i === index) assert.ok(d >= 5000, `${what}: peer ${i + 1} should carry the flow, sent ${deltas.join('/')} bytes`);
      else assert.ok(d < 2000, `${what}: peer ${i + 1} should not carry the flow, sent ${deltas.join('/')} bytes`);
    });
  }
  const ping = (args: string[]) => inA('ping', ['-c', '5', '-i', '0.2', '-s', '1000', '-W', '5', ...args]);
  async function uapi(): Promise<Map<string, string>> {
    const status = await new UapiClient(ifname).get();
    return new Map([['peer_selection', status.peerSelection ?? ''], ['source_check', status.sourceCheck ?? '']]);
  }
  async function sourceCheckDrops(): Promise<number[]> {
    const status = await new UapiClient(ifname).get();
    return peers.map((p) => {
      const peer = status.peers.find((s) => Buffer.from(s.publicKey).toString('base64') === p.keys.publicKey);
      return Number(peer?.extra.find(([k]) => k === 'source_check_drops')?.[1] ?? NaN);
    });
  }
  async function setSourceCheck(mode: 'off' | 'allowed-ips' | 'route'): Promise<void> {
    assert.equal(await new UapiClient(ifname).set([`source_check=${mode}`]), 0);
  }
  async function neighbourMac(address: string): Promise<string | undefined> {
    const out = await inA('ip', ['-j', 'neigh', 'show', address, 'dev', ifname]);
    const entries = JSON.parse(out) as { lladdr?: string }[];
    return entries[0]?.lladdr;
  }
  async function waitFor(what: string, check: () => Promise<boolean>, ms = 2000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await sleep(20);
    }
  }

  before(async () => {
    requireRoot();
    mesh = await createRouteMesh(3, 'rt');
    ({ a, ifname, peers } = mesh);
    // Replies come from 10.99.0.1, which no AllowedIPs hold: this part is about peer selection.
    await setSourceCheck('off');
  });

  after(async () => {
    await mesh?.destroy();
  });

  it('reports peer_selection=route and answers ARP with the MAC derived from the owner\'s key', async () => {
    assert.equal((await uapi()).get('peer_selection'), 'route');
    assert.equal((await inA('cat', [`/sys/class/net/${ifname}/type`])).trim(), '1', 'an Ethernet (TAP) interface');
    await inA('ping', ['-c', '1', '-W', '5', peers[0].tunnel4]);
    assert.equal(await neighbourMac(peers[0].tunnel4), formatMac(peerMac(Buffer.from(peers[0].keys.publicKey, 'base64'))));
    await inA('ping', ['-6', '-c', '1', '-W', '5', peers[2].tunnel6]);
    assert.equal(await neighbourMac(peers[2].tunnel6), formatMac(peerMac(Buffer.from(peers[2].keys.publicKey, 'base64'))));
  });

  it('sends one destination to three peers by main table, source rule and fwmark rule (via inet6)', async () => {
    await inA('ip', ['route', 'add', '10.99.0.0/24', 'via', peers[0].tunnel4, 'dev', ifname]);
    await inA('ip', ['addr', 'add', '100.64.9.1/32', 'dev', 'lo']);
    await inA('ip', ['rule', 'add', 'from', '100.64.9.1', 'lookup', '101']);
    await inA('ip', ['route', 'add', '10.99.0.0/24', 'via', peers[1].tunnel4, 'dev', ifname, 'table', '101']);
    await inA('ip', ['rule', 'add', 'fwmark', '153', 'lookup', '102']);
    await inA('ip', ['route', 'add', '10.99.0.0/24', 'via', 'inet6', peers[2].tunnel6, 'dev', ifname, 'table', '102']);

    assertCarriedBy(await carried(() => ping(['10.99.0.1'])), 0, 'main table');
    assertCarriedBy(await carried(() => ping(['-I', '100.64.9.1', '10.99.0.1'])), 1, 'ip rule from');
    assertCarriedBy(await carried(() => ping(['-m', '153', '10.99.0.1'])), 2, 'ip rule fwmark, IPv4 via an IPv6 gateway');
  });

  it('follows an IPv6 gateway route, and a route change with no AllowedIPs change', async () => {
    await inA('ip', ['-6', 'route', 'add', 'fd99::/64', 'via', peers[2].tunnel6, 'dev', ifname]);
    assertCarriedBy(await carried(() => ping(['-6', 'fd99::1'])), 2, 'IPv6 gateway');
    await inA('ip', ['-6', 'route', 'replace', 'fd99::/64', 'via', peers[1].tunnel6, 'dev', ifname]);
    assertCarriedBy(await carried(() => ping(['-6', 'fd99::1'])), 1, 'IPv6 gateway after ip route replace');
    await inA('ip', ['route', 'replace', '10.99.0.0/24', 'via', peers[2].tunnel4, 'dev', ifname]);
    assertCarriedBy(await carried(() => ping(['10.99.0.1'])), 2, 'main table after ip route replace');
  });

  it('spreads an ECMP route across peers', async () => {
    await inA('ip', ['route', 'replace', '10.99.0.0/24', 'nexthop', 'via', peers[0].tunnel4, 'dev', ifname, 'nexthop', 'via', peers[1].tunnel4, 'dev', ifname]);
    const sources = Array.from({ length: 16 }, (_, i) => `100.64.8.${i + 1}`);
    for (const s of sources) await inA('ip', ['addr', 'add', `${s}/32`, 'dev', 'lo']);
    const pingFrom = (s: string) => inA('ping', ['-c', '2', '-i', '0.2', '-s', '1000', '-W', '5', '-I', s, '10.99.0.1']);
    const deltas = await carried(() => Promise.all(sources.map(pingFrom)));
    assert.ok(deltas[0] >= 2000 && deltas[1] >= 2000, `both ECMP peers carry flows: ${deltas.join('/')}`);
    assert.ok(deltas[2] < 2000, `the third peer is not a next hop: ${deltas.join('/')}`);
  });

  it('sends link-local multicast to every peer', async () => {
    const deltas = await carried(() => inA('ping', ['-6', '-c', '3', '-i', '0.2', '-s', '1000', '-W', '1', '-I', ifname, 'ff02::1']).catch(() => ''));
    deltas.forEach((d, i) => assert.ok(d >= 3000, `peer ${i + 1} got the multicast: ${deltas.join('/')}`));
  });

  it('rewrites the kernel\'s neighbour entry at once when an address changes owner, and deletes it when nobody owns it', async () => {
    const [p1, p2] = peers;
    await inA('ping', ['-c', '1', '-W', '5', p1.tunnel4]);
    assert.equal(await neighbourMac(p1.tunnel4), formatMac(peerMac(Buffer.from(p1.keys.publicKey, 'base64'))));
    await inA('wg', ['set', ifname, 'peer', p2.keys.publicKey, 'allowed-ips', `${p2.tunnel4}/32,${p2.tunnel6}/128,${p1.tunnel4}/32`]);
    const p2Mac = formatMac(peerMac(Buffer.from(p2.keys.publicKey, 'base64')));
    await waitFor('neighbour moved to peer 2', async () => (await neighbourMac(p1.tunnel4)) === p2Mac, 1000);
    await inA('wg', ['set', ifname, 'peer', p2.keys.publicKey, 'allowed-ips', `${p2.tunnel4}/32,${p2.tunnel6}/128`]);
    await inA('wg', ['set', ifname, 'peer', p1.keys.publicKey, 'allowed-ips', p1.tunnel6 + '/128']);
    await waitFor('neighbour deleted', async () => (await neighbourMac(p1.tunnel4)) === undefined, 1000);
    await inA('wg', ['set', ifname, 'peer', p1.keys.publicKey, 'allowed-ips', `${p1.tunnel4}/32,${p1.tunnel6}/128`]);
  });

  it('source check: off accepts, allowed-ips drops, route accepts from the routed peer and drops spoofs (counted per peer)', async () => {
    const [p1, p2] = peers;
    await inA('ip', ['route', 'replace', '10.99.0.0/24', 'via', p1.tunnel4, 'dev', ifname]);
    const setCheck = setSourceCheck;

    await setCheck('allowed-ips');
    assert.equal((await uapi()).get('source_check'), 'allowed-ips');
    let drops = await sourceCheckDrops();
    await assert.rejects(inA('ping', ['-c', '2', '-i', '0.2', '-W', '1', '10.99.0.1']), 'replies from outside AllowedIPs are dropped');
    let after = await sourceCheckDrops();
    assert.ok(after[0] - drops[0] >= 2, `peer 1's drops counted: ${drops} -> ${after}`);

    await setCheck('route');
    drops = after;
    await inA('ping', ['-c', '3', '-i', '0.2', '-W', '5', '10.99.0.1']);
    after = await sourceCheckDrops();
    assert.equal(after[0], drops[0], 'replies from the peer the route leads to are accepted');

    // The route back is looked up from our address, so `ip rule from` applies to replies too:
    // replies to 100.64.9.1 are expected from peer 2 (table 101), not peer 1 (main).
    await inA('ping', ['-c', '3', '-i', '0.2', '-W', '5', '-I', '100.64.9.1', '10.99.0.1']);
    after = await sourceCheckDrops();
    assert.deepEqual(after, drops, 'replies through a source rule are accepted from that rule\'s peer');

    // Peer 2 sends from 10.99.0.1, whose route on A leads to peer 1: a spoof.
    await p2.ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '1', '-I', '10.99.0.1', '100.64.0.1']).catch(() => '');
    after = await sourceCheckDrops();
    assert.ok(after[1] - drops[1] >= 3, `peer 2's spoofed packets dropped and counted: ${drops} -> ${after}`);

    // Moving the route makes peer 2 the right one at once (the verdict cache is cleared).
    await inA('ip', ['route', 'replace', '10.99.0.0/24', 'via', p2.tunnel4, 'dev', ifname]);
    await sleep(100);
    drops = after;
    await p2.ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '5', '-I', '10.99.0.1', '100.64.0.1']);
    after = await sourceCheckDrops();
    assert.equal(after[1], drops[1], 'after the route change peer 2 is accepted');

    await setCheck('off');
    drops = after;
    await p1.ns.exec('ping', ['-c', '2', '-i', '0.2', '-W', '1', '-I', '10.99.0.1', '100.64.0.1']).catch(() => '');
    after = await sourceCheckDrops();
    assert.deepEqual(after, drops, 'off drops nothing');
  });

  it('lists every route through the interface with the peer it resolves to, or none and why (viaguard routes --json)', async () => {
    await inA('ip', ['route', 'add', '10.98.0.0/24', 'via', '100.64.0.77', 'dev', ifname, 'table', '103']);
    const viaguard = fileURLToPath(new URL('../../src/cli/viaguard.js', import.meta.url));
    const out = JSON.parse(await inA(process.execPath, [viaguard, 'routes', ifname, '--json'])) as { peerSelection: string; routes: RouteReport[] };
    assert.equal(out.peerSelection, 'route');
    const find = (destination: string, table: string) => out.routes.find((r) => r.destination === destination && r.table === table);
    const key = (i: number) => peers[i].keys.publicKey;
    assert.deepEqual(find('10.99.0.0/24', 'main')?.hops, [{ gateway: peers[1].tunnel4, peer: key(1), by: 'allowed-ips' }]);
    assert.deepEqual(find('10.99.0.0/24', '101')?.hops, [{ gateway: peers[1].tunnel4, peer: key(1), by: 'allowed-ips' }]);
    assert.deepEqual(find('10.99.0.0/24', '102')?.hops, [{ gateway: peers[2].tunnel6, peer: key(2), by: 'allowed-ips' }]);
    assert.deepEqual(find('fd99::/64', 'main')?.hops, [{ gateway: peers[1].tunnel6, peer: key(1), by: 'allowed-ips' }]);
    const unowned = find('10.98.0.0/24', '103')?.hops[0];
    assert.equal(unowned?.peer, undefined);
    assert.match(unowned?.reason ?? '', /no peer owns the gateway 100\.64\.0\.77/);
    assert.match(find('100.64.0.0/24', 'main')?.hops[0].reason ?? '', /on-link/);
  });

  it('takes the peer selection from VIAGUARD_PEER_SELECTION (as wg-quick starts it) and refuses a bad one', async () => {
    const other = `rtE${suffix}`;
    await inA('env', ['VIAGUARD_PEER_SELECTION=route', process.execPath, VIAGUARDD_PATH, other]);
    assert.equal((await inA('cat', [`/sys/class/net/${other}/type`])).trim(), '1', 'a TAP device');
    assert.equal((await new UapiClient(other).get()).peerSelection, 'route');
    await inA('ip', ['link', 'del', other]);
    await assert.rejects(inA(process.execPath, [VIAGUARDD_PATH, '--peer-selection', 'gateway', `rtF${suffix}`]), /--peer-selection: expected allowed-ips or route, got "gateway"/);
    await assert.rejects(inA('env', ['VIAGUARD_PEER_SELECTION=tap', process.execPath, VIAGUARDD_PATH, `rtF${suffix}`]), /VIAGUARD_PEER_SELECTION: expected allowed-ips or route/);
  });

  it('keeps delivering after the interface\'s MAC is changed', async () => {
    await inA('ip', ['link', 'set', 'dev', ifname, 'address', '02:5a:11:22:33:44']);
    await sleep(200);
    await inA('ping', ['-c', '2', '-i', '0.2', '-W', '5', peers[0].tunnel4]);
  });
});
