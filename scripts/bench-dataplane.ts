// bench:dataplane — TCP throughput (iperf3) through the data plane engine alone (two DataPlanes
// in this process, sessions installed by hand, UDP over loopback) and through a wireguard-go
// pair (two daemons across a veth), rounds alternating because this machine's speed drifts.
// Both tunnels share the machine's 2 cores with everything else running on it.
// Usage: npm run bench:dataplane [-- --seconds 5 --rounds 3]
import { parseArgs } from 'node:util';
import { createDataPlanePair, matchingKeypairs } from '../src/testing/dataplane-pair.js';
import type { Namespace } from '../src/testing/netns.js';
import { createTunnelPair, wireguardGo } from '../src/testing/tunnel-pair.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
  },
});
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
if (!Number.isInteger(seconds) || seconds < 1 || !Number.isInteger(rounds) || rounds < 1) {
  throw new Error('--seconds and --rounds must be positive integers');
}

async function iperf(client: Namespace, server: Namespace, address: string): Promise<number> {
  const daemon = server.spawn('iperf3', ['-s', '-1', '-B', address]);
  await new Promise((r) => setTimeout(r, 300));
  try {
    const out = await client.exec('iperf3', ['-c', address, '-t', String(seconds), '-J']);
    const report = JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } };
    return report.end.sum_received.bits_per_second / 1e6;
  } finally {
    daemon.kill();
  }
}

async function dataPlaneRound(): Promise<number> {
  const peer = 1;
  const pair = await createDataPlanePair(peer);
  try {
    const { initiator, responder } = matchingKeypairs(1, 2);
    pair.right.dp.installKeypair(peer, responder);
    pair.left.dp.installKeypair(peer, initiator);
    await pair.left.ns.exec('ping', ['-c', '1', '-W', '5', pair.right.tunnel4]);
    return await iperf(pair.left.ns, pair.right.ns, pair.right.tunnel4);
  } finally {
    await pair.destroy();
  }
}

async function wireguardGoRound(round: number): Promise<number> {
  const pair = await createTunnelPair(wireguardGo, wireguardGo, { index: round });
  try {
    await pair.left.ns.exec('ping', ['-c', '1', '-W', '5', pair.right.tunnel4]);
    return await iperf(pair.left.ns, pair.right.ns, pair.right.tunnel4);
  } finally {
    await pair.destroy();
  }
}

const results: Record<string, number[]> = { dataplane: [], 'wireguard-go': [] };
for (let round = 1; round <= rounds; round++) {
  const engine = await dataPlaneRound();
  results.dataplane.push(engine);
  console.log(`round ${round} dataplane     ${engine.toFixed(0)} Mbit/s`);
  const go = await wireguardGoRound(round);
  results['wireguard-go'].push(go);
  console.log(`round ${round} wireguard-go  ${go.toFixed(0)} Mbit/s`);
}

const best = (xs: number[]) => Math.round(Math.max(...xs));
const median = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
const figures = {
  dataplane_best_mbps: best(results.dataplane),
  dataplane_median_mbps: median(results.dataplane),
  wireguard_go_best_mbps: best(results['wireguard-go']),
  wireguard_go_median_mbps: median(results['wireguard-go']),
  median_ratio: Number((median(results.dataplane) / median(results['wireguard-go'])).toFixed(2)),
};
console.log(`median: dataplane ${figures.dataplane_median_mbps} Mbit/s, wireguard-go ${figures.wireguard_go_median_mbps} Mbit/s`);
console.log(JSON.stringify(figures));
