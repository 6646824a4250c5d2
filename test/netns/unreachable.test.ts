// ICMP errors like the kernel's WireGuard (icmp_ndo_send in drivers/net/wireguard/device.c): a
// packet the tunnel cannot carry — no peer owns its destination, or the owner has no endpoint —
// is answered at once with a destination unreachable written back through the device, so ping
// (here or on a host routing through us) reports it instead of timing out. Rate-limited.
import assert from 'node:assert/strict';
import { AllowedIps } from '../../src/native/allowedips.js';
import { DataPlane, peerMac } from '../../src/native/dataplane.js';
import { createDataPlanePair, type DataPlanePair } from '../../src/testing/dataplane-pair.js';
import { Namespace, connect, run } from '../../src/testing/netns.js';
import { waitFor } from '../support/quick-harness.js';
import { requireRoot, run as runTool, uniqueName } from '../support/run.js';

const PEER = 1;
const ENDPOINTLESS_PEER = 2;

/** ping -c 1 with a long timeout; returns its output and how long it took (an error exits it at once). */
async function pingOnce(ns: Namespace, address: string): Promise<{ output: string; ms: number }> {
  const started = Date.now();
  const ping = await runTool('ip', ['netns', 'exec', ns.name, 'ping', address.includes(':') ? '-6' : '-4', '-n', '-c', '1', '-W', '10', address]);
  assert.notEqual(ping.code, 0, `ping ${address} got an answer: ${ping.stdout}`);
  return { output: ping.stdout, ms: Date.now() - started };
}

describe('ICMP destination unreachable from the data plane (TUN)', function () {
  this.timeout(60_000);
  let pair: DataPlanePair | undefined;
  let client: Namespace | undefined;
  let net4 = '';
  let net6 = '';

  before(async () => {
    requireRoot();
    pair = await createDataPlanePair(PEER);
    net4 = pair.left.tunnel4.replace(/\.1$/, '');
    net6 = pair.left.tunnel6.replace(/:1$/, '');
    pair.left.dp.addPeer(ENDPOINTLESS_PEER);
    pair.left.allowedIps.insert(`${net4}.50/32`, ENDPOINTLESS_PEER);
    pair.left.allowedIps.insert(`${net6}:50/128`, ENDPOINTLESS_PEER);
  });

  after(async () => {
    await client?.destroy();
    await pair?.destroy();
  });

  it('answers a ping to an address no peer owns at once, IPv4 and IPv6', async () => {
    const left = pair!.left;
    const before = left.dp.counters();
    const v4 = await pingOnce(left.ns, `${net4}.77`);
    assert.match(v4.output, new RegExp(`From ${net4.replace(/\./g, '\\.')}\\.77 icmp_seq=1 Destination Host Unreachable`));
    assert.ok(v4.ms < 5000, `answered after ${v4.ms} ms, not at once`);
    const v6 = await pingOnce(left.ns, `${net6}:77`);
    const canonical6 = net6.replace(/:0+(?=[0-9a-f])/g, ':');
    assert.match(v6.output, new RegExp(`From ${canonical6}:77 icmp_seq=1 Destination unreachable: Address unreachable`));
    assert.ok(v6.ms < 5000, `answered after ${v6.ms} ms, not at once`);
    const after = left.dp.counters();
    assert.equal(after.unreachableSent - before.unreachableSent, 2);
    assert.equal(after.droppedNoRouteToPeer - before.droppedNoRouteToPeer, 2);
    assert.equal(after.droppedTunWriteFailed, before.droppedTunWriteFailed);
  });

  it('answers a ping to a peer that has no endpoint', async () => {
    const left = pair!.left;
    const before = left.dp.counters();
    assert.match((await pingOnce(left.ns, `${net4}.50`)).output, /Destination Host Unreachable/);
    assert.match((await pingOnce(left.ns, `${net6}:50`)).output, /Destination unreachable: Address unreachable/);
    const after = left.dp.counters();
    assert.equal(after.droppedNoEndpoint - before.droppedNoEndpoint, 2);
    assert.equal(after.unreachableSent - before.unreachableSent, 2);
  });

  it('lets the sender of a forwarded packet learn too', async () => {
    const left = pair!.left;
    client = await Namespace.create('vgic');
    await connect(client, left.ns, { a4: '192.168.77.2', b4: '192.168.77.1', a6: 'fd77::2', b6: 'fd77::1' });
    await left.ns.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    await client.exec('ip', ['route', 'add', `${net4}.0/24`, 'via', '192.168.77.1']);
    await client.exec('ip', ['-6', 'route', 'add', `${net6}:0/64`, 'via', 'fd77::1']);
    const v4 = await pingOnce(client, `${net4}.77`);
    assert.match(v4.output, /icmp_seq=1 Destination Host Unreachable/);
    assert.ok(v4.ms < 5000, `answered after ${v4.ms} ms`);
    const v6 = await pingOnce(client, `${net6}:77`);
    assert.match(v6.output, /icmp_seq=1 Destination unreachable: Address unreachable/);
    assert.ok(v6.ms < 5000, `answered after ${v6.ms} ms`);
  });

  it('rate-limits its answers (1000/s, burst 50) and counts what it withholds', async () => {
    const left = pair!.left;
    const before = left.dp.counters();
    const datagrams = 2000;
    const started = Date.now();
    // One process sends them all as fast as it can; each is a packet no peer owns.
    await left.ns.exec(process.execPath, [
      '-e',
      `const s = require('node:dgram').createSocket('udp4'); let left = ${datagrams};
       const next = () => { if (left-- === 0) return s.close(); s.send(Buffer.alloc(8), 9, '${net4}.78', next); }; next();`,
    ]);
    const answered = () => {
      const now = left.dp.counters();
      return now.unreachableSent - before.unreachableSent + now.unreachableRateLimited - before.unreachableRateLimited;
    };
    await waitFor('every datagram answered or withheld', () => answered() === datagrams, 10_000);
    const elapsedMs = Date.now() - started;
    const after = left.dp.counters();
    const sent = after.unreachableSent - before.unreachableSent;
    assert.ok(after.unreachableRateLimited > before.unreachableRateLimited, 'some answers withheld');
    assert.ok(sent <= 50 + elapsedMs + 1, `${sent} answers in ${elapsedMs} ms exceed the budget`);
  });
});

describe('ICMP destination unreachable from the data plane (TAP, route mode)', function () {
  this.timeout(30_000);
  const ifname = uniqueName('vgiu');
  let ns: Namespace | undefined;
  let dp: DataPlane | undefined;

  before(async () => {
    requireRoot();
    const allowed = new AllowedIps();
    dp = new DataPlane({ tunName: ifname, tap: true, mtu: 1420, allowedIps: allowed }, () => undefined);
    dp.addPeer(PEER);
    dp.setPeerMac(PEER, peerMac(Buffer.alloc(32, 7)));
    allowed.insert('100.66.0.2/32', PEER);
    allowed.insert('fd66::2/128', PEER);
    ns = await Namespace.create('vgiu');
    await run('ip', ['link', 'set', 'dev', ifname, 'netns', ns.name]);
    await ns.exec('ip', ['addr', 'add', '100.66.0.1/24', 'dev', ifname]);
    await ns.exec('ip', ['addr', 'add', 'fd66::1/64', 'dev', ifname, 'nodad']);
    await ns.exec('ip', ['link', 'set', ifname, 'up']);
  });

  after(async () => {
    dp?.close();
    await ns?.destroy();
  });

  it('answers a frame to a peer without endpoint with a framed unreachable, IPv4 and IPv6', async () => {
    const before = dp!.counters();
    const v4 = await pingOnce(ns!, '100.66.0.2');
    assert.match(v4.output, /From 100\.66\.0\.2 icmp_seq=1 Destination Host Unreachable/);
    const v6 = await pingOnce(ns!, 'fd66::2');
    assert.match(v6.output, /From fd66::2 icmp_seq=1 Destination unreachable: Address unreachable/);
    const after = dp!.counters();
    assert.equal(after.unreachableSent - before.unreachableSent, 2);
    assert.equal(after.droppedTunWriteFailed, before.droppedTunWriteFailed);
  });
});
