// Queues (--queues): the kernel sees the TUN device's queues, each has its transmit thread, and
// several flows are spread over those threads; each peer's datagrams are read by one of as many
// receive threads, and several peers by several; each flow keeps its order between two
// viaguardd; with wireguard-go (one queue), both directions arrive intact.
import assert from 'node:assert/strict';
import { connect, Namespace, uniqueSuffix } from '../../src/testing/netns.js';
import { createTunnelPair, daemonPid, VIAGUARDD_PATH, viaguardd, wgKeyPair, wireguardGo, type Implementation, type TunnelEnd, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import { startInterface } from '../../src/testing/wg-interface.js';
import { requireTools } from '../../src/testing/require-tools.js';
import { assertIntactTransfer, assertOrderedTransfer, threadNames, threadTicks } from '../support/crypto-flow.js';
import { waitFor } from '../support/quick-harness.js';

const QUEUES = 4;
const FLOWS = 8;
const BYTES = 32 * 1024 * 1024;
const queued: Implementation = {
  label: `viaguardd --queues ${QUEUES}`,
  command: [process.execPath, VIAGUARDD_PATH, '--queues', String(QUEUES)],
};
const laneThreads = (kind: 'tx' | 'rx') => Array.from({ length: QUEUES }, (_, q) => (q === 0 ? `viaguard-${kind}` : `viaguard-${kind}${q}`));
const transmitThreads = laneThreads('tx');
const receiveThreads = laneThreads('rx');

/** iperf3 from `from` to `to` (bound there), its JSON report; the server is started and awaited first. */
async function iperf(from: Namespace, to: Namespace, address: string, port: number, args: string[]): Promise<{ end: { sum_received: { bytes: number } } }> {
  const server = to.spawn('iperf3', ['-s', '-1', '-B', address, '-p', String(port)]);
  try {
    await waitFor(`iperf3 listening on ${port}`, async () => (await to.exec('ss', ['-Hltn', `sport = :${port}`])).includes(`:${port}`), 10_000);
    return JSON.parse(await from.exec('iperf3', ['-c', address, '-p', String(port), '-J', ...args])) as { end: { sum_received: { bytes: number } } };
  } finally {
    server.kill();
  }
}

describe(`multi-queue device, ${QUEUES} queues (netns)`, function () {
  this.timeout(300_000);
  let pair: TunnelPair;

  before(async () => {
    requireTools('socat', 'nstat', 'sha256sum', 'openssl', 'iperf3');
    pair = await createTunnelPair(queued, queued, { index: 195 });
  });
  after(async () => {
    await pair?.destroy();
  });

  it('gives the interface its queues, each read by a transmit thread, and as many receive threads', async () => {
    for (const end of [pair.left, pair.right]) {
      const queues = (await end.ns.exec('ls', [`/sys/class/net/${end.ifname}/queues`])).split(/\s+/).filter((q) => q.startsWith('tx-'));
      assert.equal(queues.length, QUEUES, `${end.ifname}: the kernel's transmit queues: ${queues.join(' ')}`);
      const names = threadNames(await daemonPid(end));
      for (const name of [...transmitThreads, ...receiveThreads]) assert.ok(names.includes(name), `${end.ifname}: no thread ${name} among ${names.join(' ')}`);
    }
  });

  it(`spreads ${FLOWS} TCP flows over the transmit threads`, async () => {
    const { left, right } = pair;
    await left.ns.exec('ping', ['-c', '1', '-W', '5', right.tunnel4]);
    const pid = await daemonPid(left);
    const before = transmitThreads.map((name) => threadTicks(pid, name));
    const report = await iperf(left.ns, right.ns, right.tunnel4, 5201, ['-t', '3', '-P', String(FLOWS)]);
    assert.ok(report.end.sum_received.bytes > 0, 'nothing arrived');
    const worked = transmitThreads.filter((name, q) => threadTicks(pid, name) > before[q]);
    // Eight flows hashed over four queues all land on one with probability 4 / 4^8.
    assert.ok(worked.length >= 2, `only ${worked.join(' ')} carried the ${FLOWS} flows`);
  });

  it(`carries ${BYTES >> 20} MiB over one TCP connection byte-identical and unreordered`, async () => {
    await assertOrderedTransfer(pair, BYTES, 'device-queues');
  });
});

describe(`multi-queue viaguardd with wireguard-go (netns)`, function () {
  this.timeout(300_000);
  let pair: TunnelPair;

  before(async () => {
    requireTools('socat', 'nstat', 'sha256sum', 'openssl', 'wireguard-go');
    pair = await createTunnelPair(queued, wireguardGo, { index: 196 });
  });
  after(async () => {
    await pair?.destroy();
  });

  it(`carries ${BYTES >> 20} MiB each way byte-identical`, async () => {
    await pair.left.ns.exec('ping', ['-c', '1', '-W', '5', pair.right.tunnel4]);
    await assertIntactTransfer(pair, BYTES, 'queues-to-wireguard-go');
    await assertIntactTransfer({ ...pair, left: pair.right, right: pair.left }, BYTES, 'wireguard-go-to-queues');
  });
});

describe(`${QUEUES} receive lanes: two peers on two threads (netns)`, function () {
  this.timeout(300_000);
  // hub (viaguardd --queues 4) <-> spokes a and b, two single-queue viaguardd in one namespace
  // on consecutive ports of one address: KnownLane (address + port, modulo the lanes) puts them
  // on neighbouring lanes.
  let hub: Namespace;
  let spokes: Namespace;
  const suffix = uniqueSuffix();
  const hubIf = `vqh${suffix}`;
  const spokeIfs = [`vqa${suffix}`, `vqb${suffix}`];

  before(async () => {
    requireTools('iperf3', 'wg', 'ip');
    hub = await Namespace.create('vqh');
    spokes = await Namespace.create('vqs');
    await connect(hub, spokes, { a4: '192.0.2.1', b4: '192.0.2.2', a6: '2001:db8::1', b6: '2001:db8::2' });
    const hubKeys = wgKeyPair();
    const spokeKeys = [wgKeyPair(), wgKeyPair()];
    await startInterface(hub, queued, hubIf, {
      conf: [
        '[Interface]', `PrivateKey = ${hubKeys.privateKey}`, 'ListenPort = 51820',
        ...spokeKeys.flatMap((k, i) => ['[Peer]', `PublicKey = ${k.publicKey}`, `AllowedIPs = 10.197.${i + 1}.2/32`]),
      ],
      addresses: ['10.197.1.1/24', '10.197.2.1/24'],
    });
    for (const [i, ifname] of spokeIfs.entries()) {
      await startInterface(spokes, viaguardd, ifname, {
        conf: [
          '[Interface]', `PrivateKey = ${spokeKeys[i].privateKey}`, `ListenPort = ${51821 + i}`,
          '[Peer]', `PublicKey = ${hubKeys.publicKey}`, 'Endpoint = 192.0.2.1:51820', `AllowedIPs = 10.197.${i + 1}.0/24`,
        ],
        addresses: [`10.197.${i + 1}.2/24`],
      });
    }
  });
  after(async () => {
    await spokes?.destroy();
    await hub?.destroy();
  });

  it('reads each peer on its own receive thread', async () => {
    const pid = await daemonPid({ ns: hub, ifname: hubIf } as TunnelEnd);
    for (const i of [1, 2]) await spokes.exec('ping', ['-c', '1', '-W', '5', `10.197.${i}.1`]);
    const before = receiveThreads.map((name) => threadTicks(pid, name));
    const reports = await Promise.all([1, 2].map((i) => iperf(spokes, hub, `10.197.${i}.1`, 5300 + i, ['-t', '3'])));
    for (const report of reports) assert.ok(report.end.sum_received.bytes > 0, 'nothing arrived');
    const worked = receiveThreads.filter((name, lane) => threadTicks(pid, name) > before[lane]);
    assert.equal(worked.length, 2, `the two peers' data was read by ${worked.join(' ') || 'no thread'}`);
  });
});
