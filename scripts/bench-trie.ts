// AllowedIPs benchmark: an Internet-sized table (1,000,000 IPv4 + 100,000 IPv6 prefixes over
// 4 peers, seeded so every run builds the same table), then bulk inserts, lookups, removes,
// memory per prefix. Human-readable lines, then one JSON line of figures.
import { performance } from 'node:perf_hooks';
import { AllowedIps, PrefixBatch } from '../src/native/allowedips.js';
import { buildInternetTable, randomIpv4, randomIpv6 } from '../src/testing/internet-table.js';
import { prng } from '../src/testing/prng.js';

const IPV4_PREFIXES = 1_000_000;
const IPV6_PREFIXES = 100_000;
const PEERS = 4;
const LOOKUPS = 1_000_000;
const ROUNDS = 5;
const SINGLE_LOOKUPS = 200_000;

function packedAddresses(random: () => number, family: 4 | 6, count: number): Uint8Array {
  const size = family === 4 ? 4 : 16;
  const out = new Uint8Array(count * size);
  for (let i = 0; i < count; i++) out.set(family === 4 ? randomIpv4(random) : randomIpv6(random), i * size);
  return out;
}

// Addresses inside the table's own prefixes (what a data plane mostly sees), IPv4 only.
function hitAddresses(random: () => number, batch: PrefixBatch, count: number): Uint8Array {
  const out = new Uint8Array(count * 4);
  const bytes = batch.bytes;
  for (let i = 0; i < count; i++) {
    const entry = Math.floor(random() * IPV4_PREFIXES) * 22;
    const cidr = bytes[entry + 1];
    const hostBits = 32 - cidr;
    const base = ((bytes[entry + 2] << 24) | (bytes[entry + 3] << 16) | (bytes[entry + 4] << 8) | bytes[entry + 5]) >>> 0;
    const value = (base + (hostBits === 0 ? 0 : Math.floor(random() * 2 ** hostBits))) >>> 0;
    out.set(Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff), i * 4);
  }
  return out;
}

function bestRate(count: number, run: () => void): number {
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    run();
    best = Math.max(best, count / ((performance.now() - start) / 1000));
  }
  return best;
}

function millions(rate: number): string {
  return `${(rate / 1e6).toFixed(2)} M/s`;
}

const random = prng(0x5eed);
console.log(`building ${IPV4_PREFIXES} IPv4 + ${IPV6_PREFIXES} IPv6 distinct prefixes over ${PEERS} peers (seeded)...`);
const batch = buildInternetTable(random, IPV4_PREFIXES, IPV6_PREFIXES, PEERS);
const lookups4 = packedAddresses(random, 4, LOOKUPS);
const lookups6 = packedAddresses(random, 6, LOOKUPS);
const hits4 = hitAddresses(random, batch, LOOKUPS);
const out = new Uint32Array(LOOKUPS);

const rssBefore = process.memoryUsage().rss;
const table = new AllowedIps();
let start = performance.now();
const added = table.insertMany(batch);
const insertSeconds = (performance.now() - start) / 1000;
const rssAfter = process.memoryUsage().rss;
const count = table.count();
if (added !== IPV4_PREFIXES + IPV6_PREFIXES || count !== added) throw new Error(`expected ${added} prefixes, count ${count}`);
const insertRate = count / insertSeconds;
const bytesPerPrefix = table.memoryBytes() / count;
const rssPerPrefix = (rssAfter - rssBefore) / count;
console.log(`insertMany into a new table: ${count} prefixes in ${(insertSeconds * 1000).toFixed(0)} ms = ${millions(insertRate)}`);
console.log(`memory: ${(table.memoryBytes() / 2 ** 20).toFixed(1)} MiB = ${bytesPerPrefix.toFixed(1)} B/prefix; ` +
  `RSS delta ${((rssAfter - rssBefore) / 2 ** 20).toFixed(1)} MiB = ${rssPerPrefix.toFixed(1)} B/prefix`);

let matched = 0;
const lookupRate4 = bestRate(LOOKUPS, () => {
  table.lookupMany(4, lookups4, out);
});
for (const peer of out) matched += peer === 0 ? 0 : 1;
console.log(`lookupMany IPv4, random in 1.0.0.0-223.255.255.255: ${millions(lookupRate4)} (${((100 * matched) / LOOKUPS).toFixed(1)}% matched)`);
const hitRate4 = bestRate(LOOKUPS, () => {
  table.lookupMany(4, hits4, out);
});
if (out.includes(0)) throw new Error('an address inside an inserted prefix found no owner');
console.log(`lookupMany IPv4, inside inserted prefixes: ${millions(hitRate4)}`);
const lookupRate6 = bestRate(LOOKUPS, () => {
  table.lookupMany(6, lookups6, out);
});
console.log(`lookupMany IPv6, random in 2000::/3: ${millions(lookupRate6)}`);

const singleAddresses = Array.from({ length: SINGLE_LOOKUPS }, (_, i) => ({ family: 4 as const, bytes: lookups4.subarray(i * 4, i * 4 + 4) }));
const singleRate = bestRate(SINGLE_LOOKUPS, () => {
  for (const address of singleAddresses) table.lookup(address);
});
console.log(`lookup() one call per address from JS (TS validation + N-API): ${millions(singleRate)}`);
const rawSingleRate = bestRate(SINGLE_LOOKUPS, () => {
  for (const address of singleAddresses) table.native.lookup(4, address.bytes);
});
console.log(`native lookup() one call per address (N-API only): ${millions(rawSingleRate)}`);

// Remove everything and insert it again, a few times: the best round of each.
let removeRate = 0;
let reinsertRate = 0;
for (let round = 0; round < ROUNDS; round++) {
  start = performance.now();
  const removed = table.removeMany(batch);
  removeRate = Math.max(removeRate, removed / ((performance.now() - start) / 1000));
  if (removed !== count || table.count() !== 0) throw new Error(`removeMany removed ${removed} of ${count}`);
  start = performance.now();
  table.insertMany(batch);
  reinsertRate = Math.max(reinsertRate, count / ((performance.now() - start) / 1000));
}
console.log(`removeMany of all ${count}: ${millions(removeRate)}; insertMany again: ${millions(reinsertRate)} (best of ${ROUNDS})`);

start = performance.now();
const removedAll = [1, 2, 3, 4].reduce((sum, peer) => sum + table.removeAll(peer), 0);
const removeAllMs = performance.now() - start;
if (removedAll !== count) throw new Error(`removeAll removed ${removedAll} of ${count}`);
console.log(`removeAll for each of the ${PEERS} peers: ${removeAllMs.toFixed(0)} ms in all`);

console.log(JSON.stringify({
  prefixes: count,
  firstInsertPerSec: Math.round(insertRate),
  reinsertPerSec: Math.round(reinsertRate),
  removePerSec: Math.round(removeRate),
  removeAllPeersMs: Math.round(removeAllMs),
  lookupManyIpv4RandomPerSec: Math.round(lookupRate4),
  lookupManyIpv4HitPerSec: Math.round(hitRate4),
  lookupManyIpv6RandomPerSec: Math.round(lookupRate6),
  lookupSingleCallPerSec: Math.round(singleRate),
  nativeLookupSingleCallPerSec: Math.round(rawSingleRate),
  memoryBytesPerPrefix: Number(bytesPerPrefix.toFixed(1)),
  rssBytesPerPrefix: Number(rssPerPrefix.toFixed(1)),
}));
