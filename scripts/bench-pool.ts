// The crypto pool alone (scripts/pool-bench.cc, no Node, no sockets): packets sealed per second
// through a pool of 1, 2, 4 (and, on a bigger machine, up to one per CPU) workers, one client
// thread handing it batches of 128 packets of 1420 bytes, on every AEAD path; and the CPU cores
// the process used, so a busy machine shows as cores short of the workers. Every 64th batch is
// checked against a reference. Prints readable lines, then one JSON line of figures.
// Option: --seconds N per run (default 3).
import { availableParallelism } from 'node:os';
import { aeadPaths } from '../src/native/aead.js';
import { buildPoolBench, runPoolBench } from '../src/testing/pool-bench.js';

const SIZE = 1420;
const secondsArg = process.argv.indexOf('--seconds');
const seconds = secondsArg >= 0 ? Number(process.argv[secondsArg + 1]) : 3;
if (!Number.isInteger(seconds) || seconds < 1) throw new Error('--seconds takes a whole number >= 1');

const cpus = availableParallelism();
const workerCounts = [...new Set([1, 2, 4, 8, 16, 32, 64].filter((n) => n <= Math.max(4, cpus)).concat(cpus))].sort((a, b) => a - b);
const bench = buildPoolBench(false);
const figures: Record<string, number> = {};
try {
  console.log(`${cpus} CPUs; batches of 128 x ${SIZE} B from one client thread; ${seconds} s per run`);
  for (const aead of aeadPaths()) {
    let single = 0;
    for (const workers of workerCounts) {
      const run = runPoolBench(bench, { aead, workers, size: SIZE, seconds, clients: 1, check: 64 });
      if (workers === 1) single = run.packetsPerSecond;
      const speedup = run.packetsPerSecond / single;
      console.log(
        `${aead.padEnd(9)} ${String(workers).padStart(2)} workers: ${(run.packetsPerSecond / 1e6).toFixed(3)} M packets/s ` +
          `(${((run.packetsPerSecond * SIZE) / 1e9).toFixed(2)} GB/s, ${speedup.toFixed(2)}x one worker, ${run.cores.toFixed(2)} cores busy, ` +
          `${(run.packetsPerSecond / run.cores / 1e6).toFixed(3)} M packets per CPU-second)`,
      );
      const name = aead === 'ipsec-mb' ? 'ipsecMb' : 'openssl';
      figures[`${name}Workers${workers}Mpps`] = Number((run.packetsPerSecond / 1e6).toFixed(4));
      figures[`${name}Workers${workers}Cores`] = Number(run.cores.toFixed(2));
    }
  }
} finally {
  bench.remove();
}
console.log(JSON.stringify(figures));
