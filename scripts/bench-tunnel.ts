// bench:tunnel — TCP throughput through a viaguardd<->viaguardd tunnel and a
// wireguard-go<->wireguard-go tunnel, one stream and -P 4, measured in the same run with rounds
// alternating (this machine's speed drifts); the two daemons' CPU use meanwhile (cores busy, and
// CPU seconds per GiB carried, to judge scaling on bigger machines); and the idle viaguardd's
// resident memory and CPU.
// Usage: npm run bench:tunnel [-- --seconds 5 --rounds 3 --only wireguard-go]
import { parseArgs } from 'node:util';
import { createTunnelPair, daemonPid, residentBytes, viaguardd, wireguardGo, type Implementation, type TunnelPair } from '../src/testing/tunnel-pair.js';
import { cpuTicks } from '../src/testing/proc-stat.js';

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

interface Run {
  mbps: number;
  cores: number; // both daemons' CPU seconds per second of the run
  cpuSecondsPerGiB: number;
}

async function iperf(pair: TunnelPair, streams: number): Promise<Run> {
  const pids = [await daemonPid(pair.left), await daemonPid(pair.right)];
  const ticks = () => pids.reduce((sum, pid) => sum + cpuTicks(`/proc/${pid}/stat`), 0);
  const server = pair.right.ns.spawn('iperf3', ['-s', '-1', '-B', pair.right.tunnel4]);
  await new Promise((r) => setTimeout(r, 300));
  const before = ticks();
  const out = await pair.left.ns.exec('iperf3', ['-c', pair.right.tunnel4, '-t', String(seconds), '-P', String(streams), '-J']);
  const cpuSeconds = (ticks() - before) / 100; // USER_HZ ticks
  server.kill();
  const report = JSON.parse(out) as { end: { sum_received: { bits_per_second: number; bytes: number; seconds: number } } };
  const received = report.end.sum_received;
  return {
    mbps: received.bits_per_second / 1e6,
    cores: cpuSeconds / received.seconds,
    cpuSecondsPerGiB: cpuSeconds / (received.bytes / 2 ** 30),
  };
}

async function idleFigures(pair: TunnelPair): Promise<{ rssMiB: number; idleCpuPercent: number }> {
  const pid = await daemonPid(pair.left);
  const before = cpuTicks(`/proc/${pid}/stat`);
  const idleSeconds = 10; // CPU time is counted in 10 ms ticks: a long window resolves 0.1%
  await new Promise((r) => setTimeout(r, idleSeconds * 1000));
  const ticks = cpuTicks(`/proc/${pid}/stat`) - before;
  return { rssMiB: residentBytes(pid) / 2 ** 20, idleCpuPercent: (ticks / 100 / idleSeconds) * 100 };
}

const modes = [
  { streams: 1, suffix: '' },
  { streams: 4, suffix: '_p4' },
];
const results = new Map<string, Run[]>(impls.flatMap((i) => modes.map((m) => [`${i.label}${m.suffix}`, []] as [string, Run[]])));
let idle: { rssMiB: number; idleCpuPercent: number } | undefined;
for (let round = 1; round <= rounds; round++) {
  for (const impl of impls as Implementation[]) {
    const pair = await createTunnelPair(impl, impl, { index: round });
    try {
      await pair.left.ns.exec('ping', ['-c', '1', '-W', '5', pair.right.tunnel4]);
      if (impl === viaguardd && !idle) idle = await idleFigures(pair);
      for (const mode of modes) {
        const run = await iperf(pair, mode.streams);
        results.get(`${impl.label}${mode.suffix}`)!.push(run);
        console.log(
          `round ${round} ${impl.label.padEnd(13)} -P ${mode.streams} ${run.mbps.toFixed(0)} Mbit/s, ` +
            `daemons ${run.cores.toFixed(2)} cores, ${run.cpuSecondsPerGiB.toFixed(2)} CPU s/GiB`,
        );
      }
    } finally {
      await pair.destroy();
    }
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const figures: Record<string, number> = {};
for (const [label, runs] of results) {
  if (runs.length === 0) continue;
  figures[`${label}_mbps`] = Math.round(median(runs.map((r) => r.mbps)));
  figures[`${label}_cores`] = Number(median(runs.map((r) => r.cores)).toFixed(2));
  figures[`${label}_cpu_s_per_gib`] = Number(median(runs.map((r) => r.cpuSecondsPerGiB)).toFixed(2));
}
for (const { suffix, streams } of modes) {
  const ours = figures[`viaguardd${suffix}_mbps`];
  const theirs = figures[`wireguard-go${suffix}_mbps`];
  if (!ours || !theirs) continue;
  figures[`ratio${suffix}`] = Number((ours / theirs).toFixed(2));
  console.log(`median -P ${streams}: viaguardd ${ours} Mbit/s, wireguard-go ${theirs} Mbit/s, ratio ${figures[`ratio${suffix}`]}`);
}
if (idle) {
  figures.idle_rss_mib = Number(idle.rssMiB.toFixed(1));
  figures.idle_cpu_percent = Number(idle.idleCpuPercent.toFixed(2));
  console.log(`idle viaguardd: ${figures.idle_rss_mib} MiB resident, ${figures.idle_cpu_percent}% CPU`);
}
console.log(JSON.stringify(figures));
