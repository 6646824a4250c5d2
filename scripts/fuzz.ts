// Builds the libFuzzer targets in native/fuzz/ with clang (fuzzer + AddressSanitizer +
// UndefinedBehaviorSanitizer, leaks checked) and runs each one for --seconds N (default 60),
// starting from its committed seed corpus. Fails on any crash, leak, timeout or sanitizer report.
// Prints each target's executions, executions/s and coverage (libFuzzer's cov: and ft:), then one
// JSON line (and its counts to the file VIAGUARD_TEST_COUNTS names, when set). Options:
// --seconds N, --target NAME (repeatable), --build-only.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const NATIVE = join(ROOT, 'native');
const FUZZ_SOURCES = join(NATIVE, 'fuzz');
const SEEDS = join(FUZZ_SOURCES, 'corpus');
const OUT = join(ROOT, 'build', 'fuzz');
const CXX = process.env.FUZZ_CXX ?? 'clang++-14';
const SANITIZE = 'address,undefined';
const CXXFLAGS = [
  '-std=c++17', '-O1', '-g', '-fno-omit-frame-pointer', '-Wall', '-Wextra', '-Wno-unused-parameter',
  `-fsanitize=${SANITIZE}`, '-fno-sanitize-recover=all', `-I${NATIVE}`,
  // clang refuses allowedips.cc's popcnt function clones (declared before their definition);
  // with popcnt enabled the source needs none.
  '-mpopcnt',
];
// Inputs up to one whole datagram (65535 bytes) plus the fuzz target's own choice bytes.
const MAX_LEN: Record<string, number> = { receive: 72_000, frames: 65_549, ip_header: 65_536, allowedips: 4_096 };
const SANITIZER_REPORT = /^(==\d+==ERROR|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer)|runtime error:/m;

interface Options {
  seconds: number;
  targets: string[];
  buildOnly: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { seconds: 60, targets: [], buildOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--seconds') {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) throw new Error('--seconds takes a whole number of seconds >= 1');
      options.seconds = value;
    } else if (arg === '--target') {
      const name = argv[++i];
      if (!name) throw new Error('--target takes a target name');
      options.targets.push(name);
    } else if (arg === '--build-only') {
      options.buildOnly = true;
    } else {
      throw new Error(`unknown option ${arg} (use --seconds N, --target NAME, --build-only)`);
    }
  }
  return options;
}

function exec(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (err) => reject(new Error(`${command}: ${err.message}`)));
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), output }));
  });
}

function newerThan(target: string, sources: string[]): boolean {
  if (!existsSync(target)) return false;
  const built = statSync(target).mtimeMs;
  return sources.every((s) => statSync(s).mtimeMs <= built);
}

async function inParallel<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const workers = Array.from({ length: Math.min(availableParallelism(), queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  });
  await Promise.all(workers);
}

async function compile(source: string, object: string, headers: string[]): Promise<void> {
  if (newerThan(object, [source, ...headers])) return;
  const { code, output } = await exec(CXX, [...CXXFLAGS, '-fsanitize=fuzzer-no-link', '-c', source, '-o', object]);
  if (code !== 0) throw new Error(`compiling ${source} failed:\n${output}`);
}

// The data plane's own sources (not the N-API binding) are compiled once and linked into every
// target, with libcrypto standing in for the OpenSSL that Node exports to the addon.
async function build(targets: string[]): Promise<void> {
  mkdirSync(join(OUT, 'obj'), { recursive: true });
  const headers = [NATIVE, FUZZ_SOURCES].flatMap((dir) =>
    readdirSync(dir).filter((f) => f.endsWith('.h')).map((f) => join(dir, f)),
  );
  const library = readdirSync(NATIVE).filter((f) => f.endsWith('.cc')).map((f) => join(NATIVE, f));
  const sources = [...library, ...targets.map((t) => join(FUZZ_SOURCES, `${t}_fuzz.cc`))];
  const objectOf = (source: string): string => join(OUT, 'obj', basename(source, '.cc') + '.o');
  console.log(`building ${targets.length} fuzz targets with ${CXX} (-fsanitize=fuzzer,${SANITIZE})...`);
  await inParallel(sources, (source) => compile(source, objectOf(source), headers));
  const libraryObjects = library.map(objectOf);
  await inParallel(targets, async (target) => {
    const binary = join(OUT, target);
    const inputs = [objectOf(join(FUZZ_SOURCES, `${target}_fuzz.cc`)), ...libraryObjects];
    if (newerThan(binary, inputs)) return;
    const { code, output } = await exec(CXX, [
      `-fsanitize=fuzzer,${SANITIZE}`, '-o', binary, ...inputs, '-lcrypto', '-lpthread',
    ]);
    if (code !== 0) throw new Error(`linking ${target} failed:\n${output}`);
  });
}

interface TargetResult {
  target: string;
  ok: boolean;
  executions: number;
  execsPerSecond: number;
  cov: number;
  ft: number;
  corpus: number;
  peakRssMb: number;
  failure?: string;
}

function lastNumber(output: string, pattern: RegExp): number {
  const matches = [...output.matchAll(pattern)];
  return matches.length > 0 ? Number(matches[matches.length - 1][1]) : 0;
}

async function runTarget(target: string, seconds: number): Promise<TargetResult> {
  const corpus = join(OUT, 'corpus', target);
  const artifacts = join(OUT, 'artifacts');
  mkdirSync(corpus, { recursive: true });
  mkdirSync(artifacts, { recursive: true });
  const seeds = join(SEEDS, target);
  const args = [
    `-max_total_time=${seconds}`, `-max_len=${MAX_LEN[target] ?? 65_536}`, '-timeout=20', '-rss_limit_mb=2560',
    '-print_final_stats=1', '-detect_leaks=1', `-artifact_prefix=${artifacts}/${target}-`, corpus,
    ...(existsSync(seeds) ? [seeds] : []),
  ];
  const env = {
    ...process.env,
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1:symbolize=1',
    UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
  };
  const { code, output } = await exec(join(OUT, target), args, env);
  const report = SANITIZER_REPORT.exec(output);
  const ok = code === 0 && !report;
  const result: TargetResult = {
    target,
    ok,
    executions: lastNumber(output, /stat::number_of_executed_units: (\d+)/g),
    execsPerSecond: lastNumber(output, /stat::average_exec_per_sec: +(\d+)/g),
    cov: lastNumber(output, /\bcov: (\d+)/g),
    ft: lastNumber(output, /\bft: (\d+)/g),
    corpus: lastNumber(output, /\bcorp: (\d+)/g),
    peakRssMb: lastNumber(output, /stat::peak_rss_mb: +(\d+)/g),
  };
  if (!ok) {
    result.failure = report ? report[0] : `exit status ${code}`;
    // The report itself (libFuzzer's and the sanitizer's lines), not the progress lines.
    console.log(output.split('\n').filter((line) => !/^#\d+\s/.test(line)).join('\n'));
  }
  return result;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const all = readdirSync(FUZZ_SOURCES).filter((f) => f.endsWith('_fuzz.cc')).map((f) => f.slice(0, -'_fuzz.cc'.length)).sort();
  const unknown = options.targets.filter((t) => !all.includes(t));
  if (unknown.length > 0) throw new Error(`unknown fuzz target ${unknown.join(', ')} (have: ${all.join(', ')})`);
  const targets = options.targets.length > 0 ? options.targets : all;
  const started = Date.now();
  await build(targets);
  console.log(`built in ${((Date.now() - started) / 1000).toFixed(0)} s: ${OUT}`);
  if (options.buildOnly) return;

  const results: TargetResult[] = [];
  for (const target of targets) {
    console.log(`fuzzing ${target} for ${options.seconds} s...`);
    const r = await runTarget(target, options.seconds);
    results.push(r);
    console.log(
      `${r.ok ? 'ok  ' : 'FAIL'} ${target}: ${r.executions} executions, ${r.execsPerSecond} exec/s, cov ${r.cov}, ft ${r.ft}, ` +
        `corpus ${r.corpus}, peak RSS ${r.peakRssMb} MiB${r.failure ? ` -- ${r.failure}` : ''}`,
    );
  }
  const failed = results.filter((r) => !r.ok).length;
  const passed = results.length - failed;
  // Like the mocha reporter: a runner of several suites (.ci/run) collects the counts.
  if (process.env.VIAGUARD_TEST_COUNTS) writeFileSync(process.env.VIAGUARD_TEST_COUNTS, JSON.stringify({ passed, failed }) + '\n');
  console.log(JSON.stringify({ seconds: options.seconds, passed, failed, targets: results }));
  if (failed > 0) process.exitCode = 1;
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
