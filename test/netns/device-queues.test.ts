// A multi-queue TUN device (--queues): the kernel sees the queues, each has its transmit thread,
// several flows are spread over the threads, and each flow keeps its order between two viaguardd;
// with wireguard-go (one queue), both directions arrive intact.
import assert from 'node:assert/strict';
import { createTunnelPair, daemonPid, VIAGUARDD_PATH, wireguardGo, type Implementation, type TunnelPair } from '../../src/testing/tunnel-pair.js';
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
const transmitThreads = Array.from({ length: QUEUES }, (_, q) => (q === 0 ? 'viaguard-tx' : `viaguard-tx${q}`));

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

  it('gives the interface its queues, each read by a transmit thread', async () => {
    for (const end of [pair.left, pair.right]) {
      const queues = (await end.ns.exec('ls', [`/sys/class/net/${end.ifname}/queues`])).split(/\s+/).filter((q) => q.startsWith('tx-'));
      assert.equal(queues.length, QUEUES, `${end.ifname}: the kernel's transmit queues: ${queues.join(' ')}`);
      const names = threadNames(await daemonPid(end));
      for (const name of transmitThreads) assert.ok(names.includes(name), `${end.ifname}: no thread ${name} among ${names.join(' ')}`);
    }
  });

  it(`spreads ${FLOWS} TCP flows over the transmit threads`, async () => {
    const { left, right } = pair;
    await left.ns.exec('ping', ['-c', '1', '-W', '5', right.tunnel4]);
    const pid = await daemonPid(left);
    const before = transmitThreads.map((name) => threadTicks(pid, name));
    const server = right.ns.spawn('iperf3', ['-s', '-1', '-B', right.tunnel4]);
    try {
      await waitFor('iperf3 listening', async () => (await right.ns.exec('ss', ['-Hltn', 'sport = :5201'])).includes(':5201'), 10_000);
      const out = await left.ns.exec('iperf3', ['-c', right.tunnel4, '-t', '3', '-P', String(FLOWS), '-J']);
      const report = JSON.parse(out) as { end: { sum_received: { bytes: number } } };
      assert.ok(report.end.sum_received.bytes > 0, 'nothing arrived');
    } finally {
      server.kill();
    }
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
