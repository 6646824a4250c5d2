// rtnetlink throughput in a scratch network namespace (root): adding routes one request each
// (pipelined), dumping every table, and deleting them. Prints lines, then one JSON line.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { RtnlClient } from '../src/netlink/client.js';
import type { IpPrefix } from '../src/net/ip.js';

const COUNT = Number(process.env.BENCH_ROUTES ?? 100000);
const NS = `netlink-bench-${randomBytes(3).toString('hex')}`;

function prefixOf(i: number): IpPrefix {
  return { family: 4, bytes: Uint8Array.from([10, (i >> 16) & 255, (i >> 8) & 255, i & 255]), cidr: 32 };
}

async function timed(label: string, run: () => Promise<number>): Promise<number> {
  const start = performance.now();
  const n = await run();
  const seconds = (performance.now() - start) / 1000;
  const rate = Math.round(n / seconds);
  console.log(`${label}: ${n} in ${seconds.toFixed(2)} s = ${rate}/s`);
  return rate;
}

async function main(): Promise<void> {
  execFileSync('ip', ['netns', 'add', NS]);
  const client = new RtnlClient({ netnsPath: `/var/run/netns/${NS}` });
  try {
    await client.setLink('lo', { up: true });
    const addPerSecond = await timed('add routes', async () => {
      await Promise.all(Array.from({ length: COUNT }, (_, i) => client.addRoute({ destination: prefixOf(i), dev: 1, table: 1000 })));
      return COUNT;
    });
    const dumpPerSecond = await timed('dump all tables', async () => (await client.listRoutes()).length);
    const deletePerSecond = await timed('delete routes', async () => {
      await Promise.all(Array.from({ length: COUNT }, (_, i) => client.deleteRoute({ destination: prefixOf(i), table: 1000 })));
      return COUNT;
    });
    console.log(JSON.stringify({ routes: COUNT, addPerSecond, dumpPerSecond, deletePerSecond }));
  } finally {
    client.close();
    spawnSync('ip', ['netns', 'del', NS]);
  }
}

await main();
