// The crypto worker pool keeps one TCP flow in order, on every AEAD path (VIAGUARD_AEAD): two
// viaguardd with more workers than this machine has CPUs carry random bytes over a single
// connection; they arrive byte-identical (sha256), the receiver's kernel queued no segment out of
// order, and the sender's saw no reordering.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { aeadPaths, type AeadPath } from '../../src/native/aead.js';
import { createTunnelPair, daemonPid, VIAGUARDD_PATH, type Implementation, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import { requireTools } from '../../src/testing/require-tools.js';
import { waitFor } from '../support/quick-harness.js';
import { collect, difference, helperTicks, SENDER_REORDER_COUNTERS, tcpCounters, threadNames } from '../support/crypto-flow.js';

const THREADS = 4;
const BYTES = 64 * 1024 * 1024;
const manyWorkers = (path: AeadPath): Implementation => ({
  label: `viaguardd --threads ${THREADS} (${path})`,
  command: ['env', `VIAGUARD_AEAD=${path}`, process.execPath, VIAGUARDD_PATH, '--threads', String(THREADS)],
});

for (const [n, path] of aeadPaths().entries()) {
  describe(`crypto workers keep a TCP flow in order, AEAD path ${path} (netns)`, function () {
    this.timeout(300_000);
    let pair: TunnelPair;

    before(async () => {
      requireTools('socat', 'nstat', 'sha256sum', 'openssl');
      pair = await createTunnelPair(manyWorkers(path), manyWorkers(path), { index: 191 + n });
    });
    after(async () => {
      await pair?.destroy();
    });

    it(`runs ${THREADS} crypto threads, more than the machine's CPUs`, async () => {
      assert.ok(THREADS > cpus().length, `this test needs fewer than ${THREADS} CPUs to oversubscribe them`);
      for (const end of [pair.left, pair.right]) {
        const pid = await daemonPid(end);
        const helpers = threadNames(pid).filter((name) => name === 'viaguard-crypto');
        assert.equal(helpers.length, THREADS - 1, `${end.ifname}: the I/O thread works too, so ${THREADS - 1} helpers`);
        assert.ok(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`VIAGUARD_AEAD=${path}`), `${end.ifname}: not on ${path}`);
      }
    });

    it(`carries ${BYTES >> 20} MiB over one TCP connection byte-identical and unreordered`, async () => {
      const { left, right } = pair;
      const receiverNames = ['TcpExtTCPOFOQueue'];
      // Not TcpRetransSegs: a busy machine makes tail-loss probes and timeouts that say nothing
      // about order; a reordered segment shows in the receiver's out-of-order queue.
      const senderNames = SENDER_REORDER_COUNTERS;
      // The first packets wait for the handshake (staged): a session first, so none of that counts.
      await left.ns.exec('ping', ['-c', '1', '-W', '5', right.tunnel4]);
      const receiverBefore = await tcpCounters(right.ns, receiverNames);
      const senderBefore = await tcpCounters(left.ns, senderNames);
      const pids = [await daemonPid(left), await daemonPid(right)];
      const ticksBefore = pids.map(helperTicks);

      const port = 20000 + Math.floor(Math.random() * 20000);
      const receiver = collect(right.ns.spawn('sh', ['-c', `socat -u TCP4-LISTEN:${port},reuseaddr STDOUT | sha256sum`]));
      await waitFor(`socat listening on port ${port}`, async () => (await right.ns.exec('ss', ['-Hltn', `sport = :${port}`])).includes(`:${port}`), 10_000);
      // A fixed stream (seeded bytes) that both ends can hash.
      const make = `head -c ${BYTES} /dev/zero | openssl enc -aes-128-ctr -nosalt -pass pass:crypto-workers 2>/dev/null`;
      const expected = (await left.ns.exec('sh', ['-c', `${make} | sha256sum`])).split(/\s/)[0];
      await left.ns.exec('sh', ['-c', `${make} | socat -u STDIN TCP4:${right.tunnel4}:${port},connect-timeout=20`]);
      assert.equal(await receiver.exit, 0, `receiver failed: ${receiver.stderr()}`);
      assert.equal(receiver.stdout().split(/\s/)[0], expected, 'the bytes arrived changed or out of order');

      const ofo = difference(await tcpCounters(right.ns, receiverNames), receiverBefore);
      const sender = difference(await tcpCounters(left.ns, senderNames), senderBefore);
      assert.deepEqual(ofo, { TcpExtTCPOFOQueue: 0 }, 'the receiver queued segments out of order');
      assert.deepEqual(sender, { TcpExtTCPSACKReorder: 0, TcpExtTCPTSReorder: 0, TcpExtTCPRenoReorder: 0 }, 'the sender saw reordering');
      // The helpers really sealed (left) and opened (right) part of the flow.
      pids.forEach((pid, i) => assert.ok(helperTicks(pid) > ticksBefore[i], `${i === 0 ? 'sender' : 'receiver'}: the crypto helpers did no work`));
    });
  });
}
