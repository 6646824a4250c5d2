// bench:flood — what a flood at the responder's UDP port leaves of an established tunnel, tried
// as an attacker would: one sender (scripts/flood-sender.cc, built here) in its own namespace,
// ~400k datagrams/s from 128 source ports, while iperf3 runs through the tunnel into the
// flooded responder. Three floods: handshake initiations with a valid mac1 (the attacker knows
// the responder's public key), random garbage, and the same garbage to a closed port of the
// same host (the reference: what the kernel alone costs). Each kept fraction is the flood's
// throughput over the unflooded one; the responder's resident memory is read idle, during and
// after. viaguardd and Debian's wireguard-go in the same run.
// Usage: npm run bench:flood [-- --seconds 5 --rate 400000 --only viaguardd]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Namespace, connect } from '../src/testing/netns.js';
import { UapiClient } from '../src/uapi/client.js';
import { createTunnelPair, daemonPid, residentBytes, viaguardd, wireguardGo, type Implementation, type TunnelPair } from '../src/testing/tunnel-pair.js';
import { cpuTicks, TICKS_PER_SECOND } from '../src/testing/proc-stat.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rate: { type: 'string', default: '400000' },
    only: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const impls = [viaguardd, wireguardGo].filter((i) => !values.only || i.label === values.only);
const MiB = 2 ** 20;
const ATTACKER = '198.51.100.1';
const RESPONDER = '198.51.100.2';
const CLOSED_PORT = 9; // discard: nothing listens there
const RESPONDER_PORT = 51821; // the right end of createTunnelPair

type FloodKind = 'closed-port' | 'garbage' | 'initiation';
const FLOODS: FloodKind[] = ['closed-port', 'garbage', 'initiation'];

function buildSender(): { path: string; dir: string } {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'flood-sender-'));
  const path = join(dir, 'flood-sender');
  try {
    execFileSync('g++', ['-O2', '-std=c++17', `-I${join(root, 'native')}`, join(root, 'scripts/flood-sender.cc'), join(root, 'native/blake2s.cc'), '-o', path], { stdio: 'inherit' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`bench:flood needs g++ to build its sender: ${(err as Error).message}`);
  }
  return { path, dir };
}

async function iperf(pair: TunnelPair): Promise<number> {
  const server = pair.right.ns.spawn('iperf3', ['-s', '-1', '-B', pair.right.tunnel4]);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const out = await pair.left.ns.exec('iperf3', ['-c', pair.right.tunnel4, '-t', String(seconds), '-J']);
    const report = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
    return report.end.sum_received.bits_per_second / 1e6;
  } finally {
    server.kill();
  }
}

/** CPU seconds the process has used (user + system). */
const cpuSeconds = (pid: number) => cpuTicks(`/proc/${pid}/stat`) / TICKS_PER_SECOND;

interface FloodResult {
  mbps: number;
  cpuPercent: number;
  kept: number;
  sentPerSecond: number;
  rssDuringMiB: number;
  rssAfterMiB: number;
}

async function floodRound(pair: TunnelPair, attacker: Namespace, sender: string, kind: FloodKind, publicKeyHex: string, pid: number, baseline: number): Promise<FloodResult> {
  const args = kind === 'closed-port' ? [RESPONDER, String(CLOSED_PORT), 'garbage'] : [RESPONDER, String(RESPONDER_PORT), kind];
  // The flood starts a second before iperf3 and ends a second after it.
  const flood = attacker.exec(sender, [...args, String(rate), String(seconds + 2), ...(kind === 'initiation' ? [publicKeyHex] : [])]);
  let peak = residentBytes(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(pid))), 100);
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const cpuBefore = cpuSeconds(pid);
    const started = performance.now();
    const mbps = await iperf(pair);
    const cpuPercent = ((cpuSeconds(pid) - cpuBefore) / ((performance.now() - started) / 1000)) * 100;
    const [sent, perSecond] = (await flood).trim().split(' ').map(Number);
    if (!(sent > 0)) throw new Error(`the ${kind} flood sent nothing`);
    clearInterval(sampler);
    // "After": once the backlog the flood left has been worked off.
    await new Promise((r) => setTimeout(r, 3000));
    return { mbps, cpuPercent, kept: mbps / baseline, sentPerSecond: perSecond, rssDuringMiB: peak / MiB, rssAfterMiB: residentBytes(pid) / MiB };
  } finally {
    clearInterval(sampler);
  }
}

async function measure(impl: Implementation, index: number, sender: string): Promise<Record<string, number>> {
  const pair = await createTunnelPair(impl, impl, { index });
  const attacker = await Namespace.create('vgatk');
  try {
    await connect(attacker, pair.right.ns, { a4: ATTACKER, b4: RESPONDER, a6: '2001:db8:66::1', b6: '2001:db8:66::2' });
    await pair.left.ns.exec('ping', ['-c', '1', '-W', '5', pair.right.tunnel4]);
    const publicKeyHex = Buffer.from((await pair.right.ns.exec('wg', ['show', pair.right.ifname, 'public-key'])).trim(), 'base64').toString('hex');
    const pid = await daemonPid(pair.right);
    const baseline = await iperf(pair);
    const idleMiB = residentBytes(pid) / MiB;
    console.log(`${impl.label}: unflooded ${baseline.toFixed(0)} Mbit/s, responder idle ${idleMiB.toFixed(1)} MiB`);
    const figures: Record<string, number> = { [`${impl.label}_baseline_mbps`]: Math.round(baseline), [`${impl.label}_rss_idle_mib`]: round1(idleMiB) };
    const kept: Partial<Record<FloodKind, number>> = {};
    for (const kind of FLOODS) {
      const r = await floodRound(pair, attacker, sender, kind, publicKeyHex, pid, baseline);
      kept[kind] = r.kept;
      const name = kind.replace('-', '_');
      console.log(
        `${impl.label}: ${kind.padEnd(11)} flood at ${(r.sentPerSecond / 1000).toFixed(0)}k/s: ${r.mbps.toFixed(0)} Mbit/s, kept ${(r.kept * 100).toFixed(0)}%, responder CPU ${r.cpuPercent.toFixed(0)}%; ` +
          `RSS during ${r.rssDuringMiB.toFixed(1)} MiB (+${(r.rssDuringMiB - idleMiB).toFixed(1)}), after ${r.rssAfterMiB.toFixed(1)} MiB (+${(r.rssAfterMiB - idleMiB).toFixed(1)})`,
      );
      if (impl === viaguardd) console.log(`  where the flood went: ${await floodCounters(pair)}`);
      figures[`${impl.label}_${name}_kept_percent`] = Math.round(r.kept * 100);
      figures[`${impl.label}_${name}_cpu_percent`] = Math.round(r.cpuPercent);
      figures[`${impl.label}_${name}_sent_kpps`] = Math.round(r.sentPerSecond / 1000);
      figures[`${impl.label}_${name}_rss_during_mib`] = round1(r.rssDuringMiB);
      figures[`${impl.label}_${name}_rss_after_mib`] = round1(r.rssAfterMiB);
    }
    for (const kind of ['garbage', 'initiation'] as const) {
      // The goal: each flood keeps at least 90% of what the closed-port flood keeps.
      const relative = kept[kind]! / kept['closed-port']!;
      figures[`${impl.label}_${kind}_vs_closed_port`] = Number(relative.toFixed(2));
      console.log(`${impl.label}: ${kind} flood keeps ${(relative * 100).toFixed(0)}% of what the closed-port flood keeps`);
    }
    return figures;
  } finally {
    await attacker.destroy();
    await pair.destroy();
  }
}

/** viaguardd's counters of what it did with strangers' datagrams (wireguard-go reports none). */
async function floodCounters(pair: TunnelPair): Promise<string> {
  const extra = new Map((await new UapiClient(pair.right.ifname).get()).extra);
  const keys = ['dropped_by_kernel', 'dropped_garbage', 'dropped_unknown_type', 'dropped_handshake_rate_limited', 'dropped_bad_mac1', 'dropped_handshake_backlog', 'handshake_messages_received', 'cookie_replies_sent', 'handshake_dropped_decrypt_static'];
  return keys.map((k) => `${k} ${extra.get(k) ?? 0}`).join(', ');
}

function round1(x: number): number {
  return Number(x.toFixed(1));
}

const sender = buildSender();
try {
  const figures: Record<string, number> = { rate_pps: rate, seconds };
  for (const [i, impl] of impls.entries()) Object.assign(figures, await measure(impl, 60 + i, sender.path));
  console.log(JSON.stringify(figures));
} finally {
  rmSync(sender.dir, { recursive: true, force: true });
}
