// ICMP errors like the kernel's WireGuard (icmp_ndo_send in drivers/net/wireguard/device.c): a
// packet the tunnel cannot carry — no peer owns its destination, or the owner has no endpoint —
// is answered at once with a destination unreachable written back through the device, so ping
// (here or on a host routing through us) reports it instead of timing out. Rate-limited. A
// forwarded packet whose source NAT changed is answered from the host stack instead, toward its
// sender before NAT, as icmp_ndo_send does after asking conntrack.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { AllowedIps } from '../../src/native/allowedips.js';
import { DataPlane, peerMac } from '../../src/native/dataplane.js';
import { createDataPlanePair, type DataPlanePair } from '../../src/testing/dataplane-pair.js';
import { Namespace, connect, run } from '../../src/testing/netns.js';
import { requireTools } from '../../src/testing/require-tools.js';
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

/** tcpdump -vv -x on dev in ns, until count packets matched filter; its text once stop() is called. */
async function capture(ns: Namespace, dev: string, filter: string, count: number): Promise<{ stop(): Promise<string> }> {
  const child: ChildProcess = ns.spawn('tcpdump', ['-l', '-n', '-vv', '-x', '-i', dev, '-c', String(count), filter]);
  let text = '';
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let ended = false;
  void exited.then(() => (ended = true));
  await waitFor('tcpdump listening', () => {
    if (ended) throw new Error(`tcpdump ended before capturing: ${log.trim()}`);
    return log.includes('listening on');
  }, 10_000);
  return {
    async stop() {
      await waitFor(`tcpdump saw ${count} packets`, () => ended, 5000).catch(() => child.kill());
      await exited;
      return text;
    },
  };
}

/** The IP packets of tcpdump -x's text: each one's hex lines as bytes. */
function capturedPackets(text: string): Buffer[] {
  const packets: Buffer[] = [];
  for (const line of text.split('\n')) {
    const hex = /^\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4}\s?)+)/.exec(line);
    if (!hex) continue;
    if (/^\s+0x0000:/.test(line)) packets.push(Buffer.alloc(0));
    packets[packets.length - 1] = Buffer.concat([packets[packets.length - 1], Buffer.from(hex[1].replace(/\s/g, ''), 'hex')]);
  }
  return packets;
}

/** The Internet checksum over bytes (0 when a header with its checksum in place is intact). */
function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const ipText = (bytes: Uint8Array) => (bytes.length === 4 ? [...bytes].join('.') : canonicalV6(bytes));
function canonicalV6(bytes: Uint8Array): string {
  const groups = [...Array(8).keys()].map((i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

describe('ICMP destination unreachable from the data plane (TUN)', function () {
  this.timeout(60_000);
  let pair: DataPlanePair | undefined;
  let client: Namespace | undefined;
  let clientDev = '';
  let net4 = '';
  let net6 = '';

  before(async () => {
    requireRoot();
    requireTools('ping', 'nft', 'tcpdump');
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

  it('lets the sender of a forwarded packet learn too: without NAT, from the unreachable destination through the device', async () => {
    const left = pair!.left;
    client = await Namespace.create('vgic');
    clientDev = (await connect(client, left.ns, { a4: '192.168.77.2', b4: '192.168.77.1', a6: 'fd77::2', b6: 'fd77::1' })).aDev;
    await left.ns.exec('sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    await client.exec('ip', ['route', 'add', `${net4}.0/24`, 'via', '192.168.77.1']);
    await client.exec('ip', ['-6', 'route', 'add', `${net6}:0/64`, 'via', 'fd77::1']);
    const before = left.dp.counters();
    const v4 = await pingOnce(client, `${net4}.77`);
    assert.match(v4.output, new RegExp(`From ${net4.replace(/\./g, '\\.')}\\.77 icmp_seq=1 Destination Host Unreachable`));
    assert.ok(v4.ms < 5000, `answered after ${v4.ms} ms`);
    const v6 = await pingOnce(client, `${net6}:77`);
    assert.match(v6.output, /icmp_seq=1 Destination unreachable: Address unreachable/);
    assert.ok(v6.ms < 5000, `answered after ${v6.ms} ms`);
    const after = left.dp.counters();
    assert.equal(after.unreachableSent - before.unreachableSent, 2);
    assert.equal(after.unreachableSentFromHost, before.unreachableSentFromHost);
  });

  it('answers a forwarded packet whose source NAT changed from the host stack, toward its sender before NAT, quoting the header before NAT (icmp_ndo_send), IPv4 and IPv6', async () => {
    const left = pair!.left;
    const table = 'vgic_snat';
    // The client's packets leave into the tunnel SNATed to this namespace's tunnel addresses.
    await left.ns.exec('nft', ['add', 'table', 'inet', table]);
    try {
      await left.ns.exec('nft', ['add', 'chain', 'inet', table, 'post', '{ type nat hook postrouting priority 100; }']);
      await left.ns.exec('nft', ['add', 'rule', 'inet', table, 'post', 'ip', 'saddr', '192.168.77.0/24', 'ip', 'daddr', `${net4}.0/24`, 'snat', 'ip', 'to', left.tunnel4]);
      await left.ns.exec('nft', ['add', 'rule', 'inet', table, 'post', 'ip6', 'saddr', 'fd77::/64', 'ip6', 'daddr', `${net6}:0/64`, 'snat', 'ip6', 'to', left.tunnel6]);
      const before = left.dp.counters();
      const errors = await capture(client!, clientDev, '(icmp and icmp[0] == 3) or (icmp6 and ip6[40] == 1)', 2);
      const v4 = await pingOnce(client!, `${net4}.79`);
      assert.match(v4.output, /From 192\.168\.77\.1 icmp_seq=1 Destination Host Unreachable/);
      const v6 = await pingOnce(client!, `${net6}:79`);
      assert.match(v6.output, /From fd77::1 icmp_seq=1 Destination unreachable: Address unreachable/);
      const canonical6 = net6.replace(/:0+(?=[0-9a-f])/g, ':');
      const seen = await errors.stop();
      assert.doesNotMatch(seen, /bad cksum|wrong icmp cksum|bad icmp6 cksum/, seen);
      assert.match(seen, /\[icmp6 sum ok\] ICMP6, destination unreachable/, seen);
      const [error4, error6] = capturedPackets(seen);
      assert.ok(error4 && error6, seen);
      // IPv4: from the address toward the sender, type 3 code 1; the quote's source is the
      // sender's again, with a valid header checksum.
      assert.equal(ipText(error4.subarray(12, 16)), '192.168.77.1');
      assert.equal(ipText(error4.subarray(16, 20)), '192.168.77.2');
      assert.deepEqual([error4[20], error4[21]], [3, 1]);
      const quote4 = error4.subarray(28);
      assert.equal(ipText(quote4.subarray(12, 16)), '192.168.77.2', 'quoted source before NAT');
      assert.equal(ipText(quote4.subarray(16, 20)), `${net4}.79`);
      assert.equal(checksum(quote4.subarray(0, 20)), 0, 'quoted IPv4 header checksum');
      assert.equal(checksum(error4.subarray(20)), 0, 'ICMP checksum');
      // IPv6: type 1 code 3, the quote's source is the sender's again.
      assert.equal(ipText(error6.subarray(8, 24)), 'fd77::1');
      assert.equal(ipText(error6.subarray(24, 40)), 'fd77::2');
      assert.deepEqual([error6[40], error6[41]], [1, 3]);
      assert.equal(ipText(error6.subarray(48 + 8, 48 + 24)), 'fd77::2', 'quoted source before NAT');
      assert.equal(ipText(error6.subarray(48 + 24, 48 + 40)), `${canonical6}:79`);
      const after = left.dp.counters();
      assert.equal(after.unreachableSentFromHost - before.unreachableSentFromHost, 2);
      assert.equal(after.unreachableSent, before.unreachableSent);
      assert.equal(after.unreachableHostSendFailed, before.unreachableHostSendFailed);
    } finally {
      await left.ns.exec('nft', ['delete', 'table', 'inet', table]);
    }
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
