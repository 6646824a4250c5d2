// `npm run test:asan`: builds the addon with AddressSanitizer + UndefinedBehaviorSanitizer (gcc,
// like the normal build) into build-asan/, then runs the native and netns suites on that binary
// (VIAGUARD_ADDON points the loader at it). Node itself is not instrumented, so every node process
// gets gcc's libasan through LD_PRELOAD; daemons and tools the tests start inherit it. Leak
// detection is off because node, V8 and OpenSSL keep allocations until exit by design and LSan
// would report them in every process; the fuzz targets (npm run fuzz) check the same native
// code for leaks without node. Any sanitizer report, from any process, fails the run: reports go
// to files under build-asan/reports/, which must stay empty; each counts as a failed test in the
// closing "N passed, N failed" line (or in the file VIAGUARD_TEST_COUNTS names, for .ci/run).
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const STAGE = join(ROOT, 'build-asan');
const ADDON = join(STAGE, 'build', 'Release', 'viaguard.node');
const REPORTS = join(STAGE, 'reports');
const SANITIZE = '-fsanitize=address,undefined';
// `npm run test:asan -- FILE...` runs only those compiled test files on the sanitizer build.
const SUITES = process.argv.length > 2 ? process.argv.slice(2) : ['dist/test/native/**/*.test.js', 'dist/test/netns/**/*.test.js'];

function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { ...options, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise(code ?? (signal ? 128 : 1)));
  });
}

// node-gyp builds in the directory it runs in, so the sources are staged in build-asan/ (with
// their timestamps, so that make recompiles only what changed since the last sanitizer build).
async function buildAddon(): Promise<void> {
  mkdirSync(STAGE, { recursive: true });
  rmSync(join(STAGE, 'native'), { recursive: true, force: true });
  cpSync(join(ROOT, 'native'), join(STAGE, 'native'), { recursive: true, preserveTimestamps: true });
  cpSync(join(ROOT, 'binding.gyp'), join(STAGE, 'binding.gyp'), { preserveTimestamps: true });
  const nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
  const configured = existsSync(join(STAGE, 'build', 'Makefile'));
  const env = {
    ...process.env,
    CXXFLAGS: `${SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer -g`,
    LDFLAGS: SANITIZE,
  };
  for (const step of configured ? [['build']] : [['configure'], ['build']]) {
    const code = await run(process.execPath, [nodeGyp, ...step, '-j', '2'], { cwd: STAGE, env });
    if (code !== 0) throw new Error(`node-gyp ${step[0]} of the sanitizer build failed (exit ${code})`);
  }
}

function libasan(): string {
  const path = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
  if (!path.startsWith('/') || !existsSync(path)) throw new Error(`gcc has no libasan.so (got "${path}"): install libasan8`);
  return path;
}

// The preloaded runtime also watches every tool the tests run (ip, wg, nft, ...): its libc
// interceptors would abort them for their own slips (iproute2's print_route strncpy()s a buffer
// onto itself), which is not ours to judge. Uninstrumented executables can only trip
// interceptors, so those reports are suppressed for system binaries; node's addon lives in
// build-asan/ and stays fully checked.
const SUPPRESSIONS = ['interceptor_via_lib:^/usr/bin/', 'interceptor_via_lib:^/usr/sbin/', 'interceptor_via_lib:^/bin/', 'interceptor_via_lib:^/sbin/'];

function sanitizerReports(): string[] {
  if (!existsSync(REPORTS)) return [];
  return readdirSync(REPORTS).map((f) => join(REPORTS, f));
}

async function main(): Promise<void> {
  const started = Date.now();
  await buildAddon();
  const built = Date.now();
  console.log(`sanitizer build: ${ADDON} (${((built - started) / 1000).toFixed(0)} s)`);
  rmSync(REPORTS, { recursive: true, force: true });
  mkdirSync(REPORTS, { recursive: true });
  const suppressions = join(STAGE, 'asan.supp');
  writeFileSync(suppressions, SUPPRESSIONS.join('\n') + '\n');
  const env = {
    ...process.env,
    VIAGUARD_ADDON: ADDON,
    LD_PRELOAD: libasan(),
    ASAN_OPTIONS: `detect_leaks=0:abort_on_error=1:suppressions=${suppressions}:log_path=${REPORTS}/asan`,
    UBSAN_OPTIONS: `halt_on_error=1:print_stacktrace=1:log_path=${REPORTS}/ubsan`,
  };
  const mocha = join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const mochaCounts = join(STAGE, 'counts.json');
  rmSync(mochaCounts, { force: true });
  // Under the sanitizer every node process costs ~4x the CPU to start (ASan's quarantine, kept on
  // so use-after-free is caught), and some tests start dozens: three times the usual timeout.
  const code = await run(
    process.execPath,
    [mocha, '--no-config', '--timeout', '60000', '--reporter', 'scripts/mocha-reporter.cjs', ...SUITES],
    { cwd: ROOT, env: { ...env, VIAGUARD_TEST_COUNTS: mochaCounts } },
  );
  const reports = sanitizerReports();
  for (const report of reports) console.log(`--- ${report}\n${readFileSync(report, 'utf8')}`);
  console.log(
    `test:asan ${code === 0 && reports.length === 0 ? 'clean' : 'FAILED'}: mocha exit ${code}, ` +
      `${reports.length} sanitizer reports, ${((built - started) / 1000).toFixed(0)} s build + ${((Date.now() - built) / 1000).toFixed(0)} s tests`,
  );
  // Each sanitizer report is a failure too, even when the test that caused it passed; a mocha
  // that died before counting is one.
  const counts = existsSync(mochaCounts) ? (JSON.parse(readFileSync(mochaCounts, 'utf8')) as { passed: number; failed: number }) : { passed: 0, failed: 1 };
  counts.failed += reports.length;
  if (process.env.VIAGUARD_TEST_COUNTS) writeFileSync(process.env.VIAGUARD_TEST_COUNTS, JSON.stringify(counts) + '\n');
  else console.log(`\n${counts.passed} passed, ${counts.failed} failed`);
  if (code !== 0 || reports.length > 0) process.exitCode = 1;
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
