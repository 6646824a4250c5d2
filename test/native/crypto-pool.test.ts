// The crypto pool under ThreadSanitizer, without Node (scripts/pool-bench.cc): client threads,
// as the data plane's transmit and receive threads, hand batches to one pool of more workers
// than this machine has CPUs, on every AEAD path; every batch must come back sealed exactly as
// one thread seals it, with no data race reported.
import assert from 'node:assert/strict';
import { aeadPaths } from '../../src/native/aead.js';
import { buildPoolBench, runPoolBench, type PoolBench } from '../../src/testing/pool-bench.js';

describe('crypto pool under ThreadSanitizer (scripts/pool-bench.cc)', function () {
  this.timeout(180_000);
  let bench: PoolBench | undefined;

  before(() => {
    bench = buildPoolBench(true);
  });
  after(() => bench?.remove());

  for (const aead of aeadPaths()) {
    it(`${aead}: two clients share 4 workers; every batch is right and race-free`, () => {
      const run = runPoolBench(bench!, { aead, workers: 4, size: 1420, seconds: 2, clients: 2, check: 1 });
      assert.ok(run.batches > 0);
      assert.equal(run.checked, run.batches);
    });

    it(`${aead}: three clients, 16 workers, empty and tiny packets`, () => {
      for (const size of [0, 1, 63]) {
        const run = runPoolBench(bench!, { aead, workers: 16, size, seconds: 1, clients: 3, check: 1 });
        assert.ok(run.batches > 0, `size ${size}`);
        assert.equal(run.checked, run.batches);
      }
    });
  }
});
