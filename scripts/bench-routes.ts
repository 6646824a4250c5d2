// Route mode at scale (root): node A (viaguardd --peer-selection route) with four wireguard-go
// peers; 1,000,000 kernel routes via the four peers' tunnel addresses are installed in A's main
// table while a ping flood runs through the tunnel. viaguardd keeps no copy of the routing
// table, so its resident memory must not grow with the routes; sampled destinations must reach
// the peer their route names (A's per-peer transmit counters). Prints lines, then one JSON line.
// BENCH_ROUTES overrides the count.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { IpPrefix } from '../src/net/ip.js';
import { RtnlClient } from '../src/netlink/client.js';
import { createRouteMesh, type RouteMesh } from '../src/testing/route-mesh.js';
import { run } from '../src/testing/netns.js';

const COUNT = Number(process.env.BENCH_ROUTES ?? 1_000_000);
const PEERS = 4;
const CHUNK = 20_000;
const SAMPLES = 8;

/** Route i: 20.0.0.0/8 cut into /32s, via peer i % 4. */
function destinationOf(i: number): IpPrefix {
  return { family: 4, bytes: Uint8Array.from([20, (i >> 16) & 255, (i >> 8) & 255, i & 255]), cidr: 32 };
}
const dotted = (p: IpPrefix) => Array.from(p.bytes).join('.');

async function daemonPid(mesh: RouteMesh): Promise<number> {
  const pids = (await run('ip', ['netns', 'pids', mesh.a.name])).split(/\s+/).filter(Boolean).map(Number);
  const pid = pids.find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('viaguardd'));
  if (pid === undefined) throw new Error('viaguardd is not running in A');
  return pid;
}

function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) / 1024;
}

async function main(): Promise<void> {
  if (!Number.isInteger(COUNT) || COUNT < PEERS || COUNT > 1 << 24) throw new Error(`BENCH_ROUTES must be an integer in ${PEERS}..${1 << 24}`);
  const mesh = await createRouteMesh(PEERS, 'rbn');
  const client = new RtnlClient({ netnsPath: `/var/run/netns/${mesh.a.name}` });
  const flood = mesh.a.spawn('ping', ['-q', '-i', '0.002', '-s', '1000', mesh.peers[0].tunnel4]);
  try {
    const pid = await daemonPid(mesh);
    // Sessions with every peer first, so that the figures below are about routes alone.
    for (const p of mesh.peers) await mesh.a.exec('ping', ['-c', '1', '-W', '5', p.tunnel4]);
    const rssBefore = rssMiB(pid);
    console.log(`viaguardd (pid ${pid}) resident before: ${rssBefore.toFixed(1)} MiB, ping flood to peer 1 running`);

    const start = performance.now();
    for (let from = 0; from < COUNT; from += CHUNK) {
      const to = Math.min(COUNT, from + CHUNK);
      await Promise.all(
        Array.from({ length: to - from }, (_, k) => {
          const i = from + k;
          return client.addRoute({ destination: destinationOf(i), gateway: { family: 4, bytes: Uint8Array.from(mesh.peers[i % PEERS].tunnel4.split('.').map(Number)) }, dev: mesh.ifname });
        }),
      );
    }
    const installSeconds = (performance.now() - start) / 1000;
    console.log(`installed ${COUNT} routes via ${PEERS} peers in ${installSeconds.toFixed(1)} s (${Math.round(COUNT / installSeconds)}/s)`);
    const kernelRoutes = Number((await mesh.a.exec('bash', ['-c', `ip -4 route show dev ${mesh.ifname} | wc -l`])).trim());
    const rssAfter = rssMiB(pid);
    console.log(`kernel routes through ${mesh.ifname}: ${kernelRoutes}; viaguardd resident after: ${rssAfter.toFixed(1)} MiB (${(rssAfter - rssBefore).toFixed(1)} MiB more)`);

    let correct = 0;
    for (let s = 0; s < SAMPLES; s++) {
      // Spread over the table, and over the peers (i % 4 cycles).
      const i = Math.floor((s * COUNT) / SAMPLES) + (s % PEERS);
      const before = await mesh.txByPeer();
      await mesh.a.exec('ping', ['-c', '3', '-i', '0.2', '-s', '1000', '-W', '1', dotted(destinationOf(i))]).catch(() => '');
      const after = await mesh.txByPeer();
      const deltas = after.map((tx, k) => tx - before[k]);
      // The flood adds to peer 1; the sample's 3 KB must land on its own peer.
      const expected = i % PEERS;
      const others = deltas.filter((_, k) => k !== expected && k !== 0);
      const ok = deltas[expected] >= 3000 && others.every((d) => d < 1000) && (expected === 0 || deltas[0] > 0);
      if (ok) correct++;
      console.log(`sample ${dotted(destinationOf(i))} -> peer ${expected + 1}: sent ${deltas.join('/')} bytes ${ok ? 'ok' : 'WRONG'}`);
    }
    console.log(JSON.stringify({
      routes: COUNT,
      kernelRoutes,
      peers: PEERS,
      installSeconds: Number(installSeconds.toFixed(2)),
      routesPerSecond: Math.round(COUNT / installSeconds),
      rssBeforeMiB: Number(rssBefore.toFixed(1)),
      rssAfterMiB: Number(rssAfter.toFixed(1)),
      rssGrowthMiB: Number((rssAfter - rssBefore).toFixed(1)),
      samples: SAMPLES,
      samplesReachingTheRightPeer: correct,
    }));
    if (correct !== SAMPLES) process.exitCode = 1;
  } finally {
    flood.kill();
    client.close();
    await mesh.destroy();
  }
}

await main();
