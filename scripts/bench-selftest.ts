// bench:selftest — our port of the kernel's WireGuard selftest (netns.sh, see
// test/support/kernel-selftest.ts) run against viaguardd and Debian's wireguard-go in the same
// run: checks passed / counted per implementation, the failed ones by name, and the kernel-only
// checks left out. Ends with one JSON line for the README.
// Usage: npm run bench:selftest [-- --only viaguardd]
import { parseArgs } from 'node:util';
import { viaguardd, wireguardGo, type Implementation } from '../src/testing/tunnel-pair.js';
import { KERNEL_ONLY_CHECKS, VIAGUARDD_FAILURES, WIREGUARD_GO_FAILURES, kernelSelftest } from '../test/support/kernel-selftest.js';
import { SelftestWorld } from '../test/support/selftest-world.js';

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const impls = [viaguardd, wireguardGo].filter((i) => !values.only || i.label === values.only);
if (impls.length === 0) throw new Error(`--only must be viaguardd or wireguard-go, got ${values.only}`);

let current: SelftestWorld | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => void (current?.destroy() ?? Promise.resolve()).finally(() => process.exit(130)));
}

interface PortResult {
  passed: number;
  counted: number;
  failed: string[];
  seconds: number;
}

async function runPort(impl: Implementation): Promise<PortResult> {
  const started = Date.now();
  const world = new SelftestWorld(impl);
  current = world;
  const failed: string[] = [];
  let counted = 0;
  try {
    await world.start();
    for (const check of kernelSelftest(world)) {
      counted++;
      try {
        await check.run();
      } catch (error) {
        failed.push(check.name);
        const known = (impl === wireguardGo ? WIREGUARD_GO_FAILURES : VIAGUARDD_FAILURES)[check.name] !== undefined ? ' (known)' : '';
        console.log(`  ${impl.label}: FAILED${known} ${check.section}: ${check.name}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
  } finally {
    await world.destroy();
    current = undefined;
  }
  return { passed: counted - failed.length, counted, failed, seconds: (Date.now() - started) / 1000 };
}

const results: Record<string, PortResult> = {};
for (const impl of impls) {
  console.log(`running the netns.sh port against ${impl.label}…`);
  const result = await runPort(impl);
  results[impl.label] = result;
  console.log(`${impl.label}: ${result.passed}/${result.counted} checks passed in ${result.seconds.toFixed(0)} s`);
}
console.log(`kernel-only checks left out (${KERNEL_ONLY_CHECKS.length}):`);
for (const omitted of KERNEL_ONLY_CHECKS) console.log(`  - ${omitted.name}: ${omitted.reason}`);
console.log(
  JSON.stringify({
    selftest: Object.fromEntries(Object.entries(results).map(([label, r]) => [label, { passed: r.passed, counted: r.counted, failed: r.failed }])),
    kernelOnly: KERNEL_ONLY_CHECKS.map((c) => c.name),
  }),
);
