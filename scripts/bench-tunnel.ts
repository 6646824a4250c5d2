// bench:tunnel — TCP throughput through a viaguardd<->viaguardd tunnel and a
// wireguard-go<->wireguard-go tunnel, measured in the same run with rounds alternating (this
// machine's speed drifts), plus the idle viaguardd's resident memory and CPU.
// Usage: npm run bench:tunnel [-- --seconds 5 --rounds 3 --only wireguard-go]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createTunnelPair, daemonPid, residentBytes, viaguardd, wireguardGo, type Implementation, type TunnelPair } from '../src/testing/tunnel-pair.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const impls = [wireguardGo, viaguardd].filter((i) => !values.only || i.label === values.only);

async function iperf(pair: TunnelPair): Promise<number> {
  const server = pair.right.ns.spawn('iperf3', ['-s', '-1', '-B', pair.right.tunnel4]);
  await new Promise((r) => setTimeout(r, 300));
  const out = await pair.left.ns.exec('iperf3', ['-c', pair.right.tunnel4, '-t', String(seconds), '-J']);
  server.kill();
  const report = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
  return report.end.sum_received.bits_per_second / 1e6;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, after the comm field
}

async function idleFigures(pair: TunnelPair): Promise<{ rssMiB: number; idleCpuPercent: number }> {
  const pid = await daemonPid(pair.left);
  const before = cpuTicks(pid);
  const idleSeconds = 10; // CPU time is counted in 10 ms ticks: a long window resolves 0.1%
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const ticks = cpuTicks(pid) - before;
  return { rssMiB: residentBytes(pid) / 2 ** 20, idleCpuPercent: (ticks / 100 / idleSeconds) * 100 };
}

const results = new Map<string, number[]>(impls.map((i) => [i.label, []]));
let idle: { rssMiB: number; idleCpuPercent: number } | undefined;
for (let round = 1; round <= rounds; round++) {
  for (const impl of impls as Implementation[]) {
    const pair = await createTunnelPair(impl, impl, { index: round });
    try {
      await pair.left.ns.exec('ping', ['-c', '1', '-W', '5', pair.right.tunnel4]);
      if (impl === viaguardd && !idle) idle = await idleFigures(pair);
      const mbps = await iperf(pair);
      results.get(impl.label)!.push(mbps);
      console.log(`round ${round} ${impl.label.padEnd(13)} ${mbps.toFixed(0)} Mbit/s`);
    } finally {
      await pair.destroy();
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const figures: Record<string, number> = {};
for (const [label, xs] of results) figures[`${label}_mbps`] = Math.round(median(xs));
if (figures['viaguardd_mbps'] && figures['wireguard-go_mbps']) {
  figures.ratio = Number((figures['viaguardd_mbps'] / figures['wireguard-go_mbps']).toFixed(2));
  console.log(`median: viaguardd ${figures['viaguardd_mbps']} Mbit/s, wireguard-go ${figures['wireguard-go_mbps']} Mbit/s, ratio ${figures.ratio}`);
}
if (idle) {
  figures.idle_rss_mib = Number(idle.rssMiB.toFixed(1));
  figures.idle_cpu_percent = Number(idle.idleCpuPercent.toFixed(2));
  console.log(`idle viaguardd: ${figures.idle_rss_mib} MiB resident, ${figures.idle_cpu_percent}% CPU`);
}
console.log(JSON.stringify(figures));
