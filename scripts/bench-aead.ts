// ChaCha20-Poly1305 throughput per core, for every implementation the addon can run here
// (aeadPaths(): OpenSSL's EVP one packet at a time, and ipsec-mb's job manager when built in),
// sealing and opening batches of packets of 64, 512, 1420 and 9000 bytes; beside them
// node:crypto's createCipheriv per packet and the ceiling `openssl speed` reports. Rates are
// plaintext bytes per CPU-second this process used (10^9 B/s = 1 GB/s), so other load on the
// machine costs less accuracy than wall-clock rates would; pin with `taskset -c N` for less
// still. Prints readable lines, then one JSON line of figures.
import { spawnSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { AeadKey, aeadPaths, TAG_SIZE, type AeadPath } from '../src/native/aead.js';

const SIZES = [64, 512, 1420, 9000];
const BATCH = 256; // packets per sealMany/openMany call
const ROUNDS = 5; // best of
const ROUND_CPU_SECONDS = 0.25;

function cpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

// Runs fn (which processes bytesPerCall plaintext bytes) for about ROUND_CPU_SECONDS of CPU,
// ROUNDS times, and returns the best rate in GB per CPU-second.
function bestRate(bytesPerCall: number, fn: () => void): number {
  fn();
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let calls = 0;
    const start = cpuSeconds();
    let used = 0;
    do {
      for (let i = 0; i < 8; i++) fn();
      calls += 8;
      used = cpuSeconds() - start;
    } while (used < ROUND_CPU_SECONDS);
    best = Math.max(best, (calls * bytesPerCall) / used / 1e9);
  }
  return best;
}

function nonceOf(counter: bigint): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64LE(counter, 4);
  return nonce;
}

const camel = (path: AeadPath): string => (path === 'ipsec-mb' ? 'ipsecMb' : 'openssl');
const line = (label: string, gbps: number): void => {
  console.log(`${label.padEnd(52)} ${gbps.toFixed(3)} GB/s`);
};

const key = randomBytes(32);
const aead = new AeadKey(key);
const paths = aeadPaths();
const figures: Record<string, number> = {};
console.log(`paths: ${paths.join(', ')} (default: ${paths[0]}); batches of ${BATCH}; GB per CPU-second`);

for (const size of SIZES) {
  const counters = new BigUint64Array(BATCH).map((_, i) => BigInt(i));
  const lengths = new Uint32Array(BATCH).fill(size);
  const sealedLengths = new Uint32Array(BATCH).fill(size + TAG_SIZE);
  const src = randomBytes(size * BATCH);
  const sealed = Buffer.alloc((size + TAG_SIZE) * BATCH);
  const opened = Buffer.alloc(sealed.length);
  for (const path of paths) {
    const seal = bestRate(size * BATCH, () => aead.sealMany(counters, src, lengths, sealed, path));
    const open = bestRate(size * BATCH, () => {
      if (aead.openMany(counters, sealed, sealedLengths, opened, path).opened !== BATCH) throw new Error('open failed');
    });
    line(`${path} seal ${size} B`, seal);
    line(`${path} open ${size} B`, open);
    figures[`${camel(path)}Seal${size}GBps`] = seal;
    figures[`${camel(path)}Open${size}GBps`] = open;
  }
  // The default path's figures under plain names: what the data plane gets.
  figures[`seal${size}GBps`] = figures[`${camel(paths[0])}Seal${size}GBps`];
  figures[`open${size}GBps`] = figures[`${camel(paths[0])}Open${size}GBps`];
}

// One N-API call per packet on the default path, and node:crypto's per-packet objects.
{
  const size = 1420;
  const one = randomBytes(size);
  const oneSealed = Buffer.alloc(size + TAG_SIZE);
  let counter = 0n;
  const perCall = bestRate(size, () => aead.sealInto(counter++, one, oneSealed));
  line(`${paths[0]} seal, one N-API call per packet, ${size} B`, perCall);
  figures[`sealPerCall${size}GBps`] = perCall;
  const nodeSeal = bestRate(size, () => {
    const cipher = createCipheriv('chacha20-poly1305', key, nonceOf(counter++), { authTagLength: TAG_SIZE });
    cipher.update(one);
    cipher.final();
    cipher.getAuthTag();
  });
  line(`node createCipheriv per packet ${size} B`, nodeSeal);
  figures[`nodeSeal${size}GBps`] = nodeSeal;
}
aead.destroy();

// OpenSSL's own rate, streaming one context without a per-packet nonce or tag: the most EVP
// can give at this size. Its version may differ from the one Node embeds; both are printed.
{
  const size = 1420;
  const run = spawnSync('openssl', ['speed', '-evp', 'chacha20-poly1305', '-bytes', String(size), '-seconds', '2'], {
    encoding: 'utf8',
  });
  const match = /ChaCha20-Poly1305\s+([\d.]+)k/i.exec(run.stdout ?? '');
  if (run.status !== 0 || !match) {
    console.log(`openssl speed at ${size} B unavailable (${run.error?.message ?? run.stderr.trim()})`);
  } else {
    const gbps = (Number(match[1]) * 1000) / 1e9;
    line(`openssl speed -evp (streaming, wall clock) ${size} B`, gbps);
    figures[`opensslSpeed${size}GBps`] = gbps;
  }
}
const cli = spawnSync('openssl', ['version'], { encoding: 'utf8' });
console.log(`OpenSSL in Node: ${process.versions.openssl}; openssl CLI: ${(cli.stdout ?? '').trim() || 'absent'}`);

const rounded = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Number(v.toFixed(3))]));
console.log(JSON.stringify(rounded));
