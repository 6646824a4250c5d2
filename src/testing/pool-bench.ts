// Builds and runs scripts/pool-bench.cc: the crypto pool and the AEAD without Node, sealing
// synthetic batches from one or more client threads and checking them against a reference
// (used by bench:pool and by the pool's ThreadSanitizer test).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AeadPath } from '../native/aead.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface PoolBench {
  path: string;
  /** Removes the build. */
  remove(): void;
}

/** Compiles the program with g++ -O2, or with clang++-14's ThreadSanitizer when tsan is set. */
export function buildPoolBench(tsan: boolean): PoolBench {
  const dir = mkdtempSync(join(tmpdir(), 'pool-bench-'));
  const path = join(dir, 'pool-bench');
  const native = join(ROOT, 'native');
  const ipsecMb = execFileSync('sh', [join(native, 'has-ipsec-mb.sh')], { encoding: 'utf8' }).trim() === '1';
  const args = [
    ...(tsan ? ['-O1', '-g', '-fsanitize=thread'] : ['-O2']),
    '-std=c++17', '-Wall', '-Wextra', '-Werror', `-I${native}`,
    join(ROOT, 'scripts/pool-bench.cc'),
    ...['crypto_pool.cc', 'aead.cc', 'aead_ipsec_mb.cc'].map((file) => join(native, file)),
    ...(ipsecMb ? ['-DVIAGUARD_HAVE_IPSEC_MB', '-lIPSec_MB'] : []),
    '-lcrypto', '-lpthread', '-o', path,
  ];
  const compiler = tsan ? 'clang++-14' : 'g++';
  try {
    execFileSync(compiler, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`building scripts/pool-bench.cc with ${compiler} failed (needs ${compiler}, libssl-dev): ${(err as Error).message}`);
  }
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface PoolRun {
  /** Sealed packets per second (wall clock), all clients together. */
  packetsPerSecond: number;
  /** CPU cores the process kept busy on average. */
  cores: number;
  batches: number;
  checked: number;
}

export interface PoolRunOptions {
  aead: AeadPath;
  workers: number;
  size: number;
  seconds: number;
  clients: number;
  /** Check every check-th batch (1: all). */
  check: number;
}

/** Runs the program; throws with its output when it fails (a wrong byte, a sanitizer report). */
export function runPoolBench(bench: PoolBench, o: PoolRunOptions): PoolRun {
  // Under test:asan the tests' environment preloads ASan, which a ThreadSanitizer build refuses.
  const env = { ...process.env };
  delete env.LD_PRELOAD;
  delete env.ASAN_OPTIONS;
  const run = spawnSync(bench.path, [o.workers, o.size, o.seconds, o.clients, o.check].map(String), {
    encoding: 'utf8',
    env: { ...env, VIAGUARD_AEAD: o.aead, TSAN_OPTIONS: 'halt_on_error=1' },
  });
  if (run.status !== 0 || run.stderr.trim() !== '') {
    throw new Error(`pool-bench ${JSON.stringify(o)} exited ${run.status ?? run.signal}: ${run.stderr}`);
  }
  const [packetsPerSecond, cores, batches, checked] = run.stdout.trim().split(' ').map(Number);
  return { packetsPerSecond, cores, batches, checked };
}
