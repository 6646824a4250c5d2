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
import { assertOrderedTransfer, helperTicks, threadNames } from '../support/crypto-flow.js';

// More workers than CPUs (at least 4), whatever the machine.
const THREADS = Math.max(4, cpus().length + 2);
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

    it(`runs ${THREADS} crypto threads, more than the machine's ${cpus().length} CPUs`, async () => {
      for (const end of [pair.left, pair.right]) {
        const pid = await daemonPid(end);
        const helpers = threadNames(pid).filter((name) => name === 'viaguard-crypto');
        assert.equal(helpers.length, THREADS - 1, `${end.ifname}: the I/O thread works too, so ${THREADS - 1} helpers`);
        assert.ok(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`VIAGUARD_AEAD=${path}`), `${end.ifname}: not on ${path}`);
      }
    });

    it(`carries ${BYTES >> 20} MiB over one TCP connection byte-identical and unreordered`, async () => {
      const pids = [await daemonPid(pair.left), await daemonPid(pair.right)];
      const ticksBefore = pids.map(helperTicks);
      await assertOrderedTransfer(pair, BYTES, 'crypto-workers');
      // The helpers really sealed (left) and opened (right) part of the flow.
      pids.forEach((pid, i) => assert.ok(helperTicks(pid) > ticksBefore[i], `${i === 0 ? 'sender' : 'receiver'}: the crypto helpers did no work`));
    });
  });
}
