// viaguardd as users run it: started the way wg-quick starts wireguard-go, configured with the
// real `wg`, talking to Debian's wireguard-go across two network namespaces.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { UapiClient } from '../../src/uapi/client.js';
import type { DeviceSnapshot } from '../../src/uapi/status.js';
import { createTunnelPair, viaguardd, wireguardGo, type TunnelEnd, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import { requireTools } from '../../src/testing/require-tools.js';
import { requireRoot } from '../support/run.js';

async function counters(ifname: string): Promise<Map<string, number>> {
  const status: DeviceSnapshot = await new UapiClient(ifname).get();
  return new Map(status.extra.map(([k, v]) => [k, Number(v)]));
}

/** Sends datagrams from inside a namespace with a throwaway node process. */
async function blast(pair: TunnelPair, to: string, port: number, payloads: Buffer[]): Promise<void> {
  const script = `
    const dgram = require('node:dgram');
    const payloads = require('node:fs').readFileSync(process.argv[1], 'utf8').split('\\n').map((h) => Buffer.from(h, 'hex'));
    const s = dgram.createSocket('udp4');
    let i = 0;
    const next = () => i < payloads.length ? s.send(payloads[i++], ${port}, '${to}', next) : s.close();
    next();`;
  const file = `/tmp/${pair.right.ifname}.payloads`;
  writeFileSync(file, payloads.map((p) => p.toString('hex')).join('\n'));
  try {
    await pair.right.ns.exec(process.execPath, ['-e', script, file]);
  } finally {
    rmSync(file, { force: true });
  }
}

/** UDP payloads of a pcap file (Ethernet, IPv4 without options, UDP). */
function udpPayloads(pcap: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let offset = 24; offset + 16 <= pcap.length; ) {
    const captured = pcap.readUInt32LE(offset + 8);
    const frame = pcap.subarray(offset + 16, offset + 16 + captured);
    if (frame.length > 42 && frame.readUInt16BE(12) === 0x0800) out.push(frame.subarray(42));
    offset += 16 + captured;
  }
  return out;
}

describe('viaguardd with wireguard-go', function () {
  this.timeout(60_000);
  let pair: TunnelPair | undefined;

  before(() => {
    requireRoot();
    requireTools('tcpdump', 'iperf3', 'ping');
  });
  afterEach(async () => {
    await pair?.destroy();
    pair = undefined;
  });

  it('answers wireguard-go as responder, learns its endpoint, carries IPv4 and IPv6', async () => {
    pair = await createTunnelPair(viaguardd, wireguardGo, { index: 31, leftKnowsEndpoint: false });
    const { left, right } = pair;
    assert.equal((await left.ns.exec('wg', ['show', left.ifname, 'endpoints'])).trim().split('\t')[1], '(none)');
    await right.ns.exec('ping', ['-c', '2', '-W', '5', left.tunnel4]);
    await right.ns.exec('ping', ['-6', '-c', '2', '-W', '5', left.tunnel6]);
    await left.ns.exec('ping', ['-c', '1', '-W', '5', right.tunnel4]);
    const endpoint = (await left.ns.exec('wg', ['show', left.ifname, 'endpoints'])).trim().split('\t')[1];
    assert.equal(endpoint, '192.0.2.2:51821');
    const handshake = Number((await left.ns.exec('wg', ['show', left.ifname, 'latest-handshakes'])).trim().split('\t')[1]);
    assert.ok(Math.abs(handshake - Date.now() / 1000) < 30, `latest handshake ${handshake}`);
    const [rx, tx] = (await left.ns.exec('wg', ['show', left.ifname, 'transfer'])).trim().split('\t').slice(1).map(Number);
    assert.ok(rx > 148 + 4 * 84 && tx > 92 + 4 * 84, `transfer rx ${rx} tx ${tx}`);
  });

  it('follows a peer that roams to another address and port (authenticated packets only)', async () => {
    pair = await createTunnelPair(viaguardd, wireguardGo, { index: 34 });
    const { left, right } = pair;
    await right.ns.exec('ping', ['-c', '1', '-W', '5', left.tunnel4]);
    const veth = (await right.ns.exec('ip', ['-o', 'link', 'show', 'type', 'veth'])).split(':')[1].trim().split('@')[0];
    // Deleting a primary address takes its secondaries along: delete first, then add.
    await right.ns.exec('ip', ['addr', 'del', '192.0.2.2/24', 'dev', veth]);
    await right.ns.exec('ip', ['addr', 'add', '192.0.2.77/24', 'dev', veth]);
    await right.ns.exec('wg', ['set', right.ifname, 'listen-port', '51999']);
    await right.ns.exec('ping', ['-c', '2', '-W', '5', left.tunnel4]);
    const endpoint = (await left.ns.exec('wg', ['show', left.ifname, 'endpoints'])).trim().split('\t')[1];
    assert.equal(endpoint, '192.0.2.77:51999');
    await left.ns.exec('ping', ['-c', '1', '-W', '5', right.tunnel4]);
  });

  it('sends persistent keepalives on its own, and handshakes first when there is no session', async () => {
    pair = await createTunnelPair(viaguardd, wireguardGo, { index: 35 });
    const { left, right } = pair;
    const peer = (await left.ns.exec('wg', ['show', left.ifname, 'peers'])).trim();
    const received = async () => Number((await right.ns.exec('wg', ['show', right.ifname, 'transfer'])).trim().split('\t')[1]);
    assert.equal(await received(), 0);
    await left.ns.exec('wg', ['set', left.ifname, 'peer', peer, 'persistent-keepalive', '1']);
    await new Promise((r) => setTimeout(r, 3500));
    const first = await received();
    // A handshake initiation (148 B) and then keepalives (32 B each), unprompted by any traffic.
    assert.ok(first >= 148 + 2 * 32, `wireguard-go received ${first} B`);
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok((await received()) >= first + 32, 'keepalives keep coming');
  });

  it('completes handshakes with a preshared key, and none when the keys differ', async () => {
    pair = await createTunnelPair(viaguardd, wireguardGo, { index: 36 });
    const { left, right } = pair;
    const psk = `/tmp/${left.ifname}.psk`;
    const setPsk = async (end: TunnelEnd) => {
      const peer = (await end.ns.exec('wg', ['show', end.ifname, 'peers'])).trim();
      await end.ns.exec('wg', ['set', end.ifname, 'peer', peer, 'preshared-key', psk]);
    };
    try {
      writeFileSync(psk, `${(await left.ns.exec('wg', ['genpsk'])).trim()}\n`, { mode: 0o600 });
      await setPsk(left);
      await setPsk(right);
      await left.ns.exec('ping', ['-c', '2', '-W', '5', right.tunnel4]);
      // wireguard-go forgets the peer (and its session) and comes back with another preshared key.
      writeFileSync(psk, `${(await left.ns.exec('wg', ['genpsk'])).trim()}\n`, { mode: 0o600 });
      const peer = (await right.ns.exec('wg', ['show', right.ifname, 'peers'])).trim();
      await right.ns.exec('wg', ['set', right.ifname, 'peer', peer, 'remove']);
      await right.ns.exec('wg', ['set', right.ifname, 'peer', peer, 'preshared-key', psk, 'allowed-ips', `${left.tunnel4}/32`, 'endpoint', '192.0.2.1:51820']);
      await assert.rejects(right.ns.exec('ping', ['-c', '2', '-W', '2', left.tunnel4]), 'no session with mismatched preshared keys');
    } finally {
      rmSync(psk, { force: true });
    }
  });

  it('reaches wireguard-go over IPv6 link-local outer addresses (endpoints with a zone)', async () => {
    pair = await createTunnelPair(viaguardd, wireguardGo, { index: 38 });
    const { left, right } = pair;
    const vethOf = async (end: TunnelEnd) => (await end.ns.exec('ip', ['-o', 'link', 'show', 'type', 'veth'])).split(':')[1].trim().split('@')[0];
    const [leftVeth, rightVeth] = [await vethOf(left), await vethOf(right)];
    // Only link-local addresses on the wire: no IPv4, no global IPv6 to fall back on.
    for (const [end, veth, ll] of [[left, leftVeth, 'fe80::a'], [right, rightVeth, 'fe80::b']] as const) {
      await end.ns.exec('ip', ['addr', 'flush', 'dev', veth]);
      await end.ns.exec('ip', ['addr', 'add', `${ll}/64`, 'dev', veth, 'nodad']);
    }
    const peer = (await left.ns.exec('wg', ['show', left.ifname, 'peers'])).trim();
    await left.ns.exec('wg', ['set', left.ifname, 'peer', peer, 'endpoint', `[fe80::b%${leftVeth}]:51821`]);
    assert.equal((await left.ns.exec('wg', ['show', left.ifname, 'endpoints'])).trim().split('\t')[1], `[fe80::b%${leftVeth}]:51821`);
    await left.ns.exec('ping', ['-c', '2', '-W', '5', right.tunnel4]);
    await right.ns.exec('ping', ['-6', '-c', '2', '-W', '5', left.tunnel6]);
    assert.match((await right.ns.exec('wg', ['show', right.ifname, 'endpoints'])).trim().split('\t')[1], /^\[fe80::a(%.+)?\]:51820$/);
    // Learnt from the peer's reply, the zone is still shown by name.
    assert.equal((await left.ns.exec('wg', ['show', left.ifname, 'endpoints'])).trim().split('\t')[1], `[fe80::b%${leftVeth}]:51821`);
  });

  it('initiates to wireguard-go over IPv6 outer addresses', async () => {
    pair = await createTunnelPair(viaguardd, wireguardGo, { index: 32, outer: 6 });
    const { left, right } = pair;
    await left.ns.exec('ping', ['-c', '2', '-W', '5', right.tunnel4]);
    await left.ns.exec('ping', ['-6', '-c', '2', '-W', '5', right.tunnel6]);
    const endpoint = (await right.ns.exec('wg', ['show', right.ifname, 'endpoints'])).trim().split('\t')[1];
    assert.equal(endpoint, '[2001:db8::1]:51820');
    const c = await counters(left.ifname);
    assert.equal(c.get('handshake_responses_accepted'), 1);
    assert.ok((c.get('data_packets_received') ?? 0) >= 4);
  });

  it('keeps an iperf3 TCP run going while garbage, truncated and replayed packets hit its port', async () => {
    pair = await createTunnelPair(viaguardd, wireguardGo, { index: 33 });
    const { left, right } = pair;
    const veth = (await left.ns.exec('ip', ['-o', 'link', 'show', 'type', 'veth'])).split(':')[1].trim().split('@')[0];
    const capture = `/tmp/${left.ifname}.pcap`;
    const tcpdump = left.ns.spawn('tcpdump', ['-i', veth, '-w', capture, '-U', 'udp', 'and', 'dst', 'port', '51820']);
    await new Promise((r) => setTimeout(r, 1000));
    await right.ns.exec('ping', ['-c', '30', '-i', '0.05', '-W', '5', left.tunnel4]);
    await new Promise((r) => setTimeout(r, 300));
    const stopped = new Promise<void>((resolve) => tcpdump.once('exit', () => resolve()));
    tcpdump.kill('SIGINT');
    await stopped;
    const replayed = udpPayloads(readFileSync(capture)).filter((p) => p[0] === 4);
    rmSync(capture, { force: true });
    assert.ok(replayed.length >= 10, `captured ${replayed.length} data packets`);

    const server = left.ns.spawn('iperf3', ['-s', '-1', '-B', left.tunnel4]);
    await new Promise((r) => setTimeout(r, 300));
    const iperf = right.ns.exec('iperf3', ['-c', left.tunnel4, '-t', '4', '-J']);
    const garbage: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      const kind = i % 4;
      const length = kind === 0 ? 1 + (i % 3) : kind === 1 ? 16 + (i % 64) : 32 + (i % 1400);
      const p = Buffer.alloc(Math.max(4, length), i & 0xff);
      // A message type is a little-endian u32: truncated data, data for an unknown index, an unknown type, an initiation of the wrong size.
      p.writeUInt32LE(kind === 0 || kind === 1 ? 4 : kind === 2 ? 9 : 1, 0);
      garbage.push(p.subarray(0, length));
    }
    await blast(pair, '192.0.2.1', 51820, [...garbage, ...replayed]);
    const report = JSON.parse(await iperf) as { end: { sum_received: { bits_per_second: number } } };
    server.kill();
    const mbps = report.end.sum_received.bits_per_second / 1e6;
    assert.ok(mbps > 50, `iperf3 through the tunnel: ${mbps.toFixed(0)} Mbit/s`);
    const c = await counters(left.ifname);
    assert.ok((c.get('dropped_replayed') ?? 0) >= replayed.length - 2, `replayed drops ${c.get('dropped_replayed')} of ${replayed.length}`);
    // Short, mistyped and missized messages die in the kernel (the socket filter); data for an unknown index reaches the data plane.
    const dropped = ['dropped_by_kernel', 'dropped_unknown_receiver_index'].map((k) => c.get(k) ?? 0);
    assert.ok(dropped.every((n) => n > 0), `drops by reason: ${dropped.join(', ')}`);
    // Loss on the way is possible while iperf3 fills the link; most must have arrived and been counted.
    assert.ok(dropped.reduce((a, b) => a + b) >= 2400, `drops by reason: ${dropped.join(', ')}`);
    await right.ns.exec('ping', ['-c', '1', '-W', '5', left.tunnel4]);
    assert.ok(existsSync(`/var/run/wireguard/${left.ifname}.sock`));
  });
});
