// ChaCha20-Poly1305 throughput on one core: the native path (batched, and one N-API call per
// packet) against node:crypto's createCipheriv per packet, in the same run, plus the ceiling
// `openssl speed` reports for the same library version. Prints readable lines, then one JSON
// line of figures (GB/s = 10^9 bytes of plaintext per second).
import { spawnSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AeadKey, TAG_SIZE } from '../src/native/aead.js';

// 1408 = 22 ChaCha20 blocks: beside 1420 it shows what a partial final block costs OpenSSL.
const SIZES = [64, 512, 1408, 1420];
const BATCH = 256; // packets per sealMany/openMany call
const ROUNDS = 5; // best of
const ROUND_SECONDS = 0.4;

// Runs fn (which processes bytesPerCall plaintext bytes) for about ROUND_SECONDS, ROUNDS
// times, and returns the best rate in GB/s.
function bestRate(bytesPerCall: number, fn: () => void): number {
  fn();
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      for (let i = 0; i < 16; i++) fn();
      calls += 16;
      elapsed = (performance.now() - start) / 1000;
    } while (elapsed < ROUND_SECONDS);
    best = Math.max(best, (calls * bytesPerCall) / elapsed / 1e9);
  }
  return best;
}

function nonceOf(counter: bigint): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64LE(counter, 4);
  return nonce;
}

const key = randomBytes(32);
const aead = new AeadKey(key);
const figures: Record<string, number> = {};
const line = (label: string, gbps: number): void => {
  console.log(`${label.padEnd(44)} ${gbps.toFixed(3)} GB/s`);
};

for (const size of SIZES) {
  const counters = new BigUint64Array(BATCH).map((_, i) => BigInt(i));
  const lengths = new Uint32Array(BATCH).fill(size);
  const src = randomBytes(size * BATCH);
  const sealed = Buffer.alloc((size + TAG_SIZE) * BATCH);
  const opened = Buffer.alloc(sealed.length);
  const sealedLengths = new Uint32Array(BATCH).fill(size + TAG_SIZE);

  const seal = bestRate(size * BATCH, () => aead.sealMany(counters, src, lengths, sealed));
  const open = bestRate(size * BATCH, () => {
    if (aead.openMany(counters, sealed, sealedLengths, opened).opened !== BATCH) throw new Error('open failed');
  });

  const one = src.subarray(0, size);
  const oneSealed = Buffer.alloc(size + TAG_SIZE);
  let counter = 0n;
  const perCall = bestRate(size, () => aead.sealInto(counter++, one, oneSealed));

  const nodeSeal = bestRate(size, () => {
    const cipher = createCipheriv('chacha20-poly1305', key, nonceOf(counter++), { authTagLength: TAG_SIZE });
    cipher.update(one);
    cipher.final();
    cipher.getAuthTag();
  });
  const reference = aead.seal(7n, one);
  const nodeOpen = bestRate(size, () => {
    const decipher = createDecipheriv('chacha20-poly1305', key, nonceOf(7n), { authTagLength: TAG_SIZE });
    decipher.setAuthTag(reference.subarray(size));
    decipher.update(reference.subarray(0, size));
    decipher.final();
  });

  line(`native sealMany ${size} B (batches of ${BATCH})`, seal);
  line(`native openMany ${size} B (batches of ${BATCH})`, open);
  line(`native seal, one N-API call per packet, ${size} B`, perCall);
  line(`node createCipheriv per packet ${size} B`, nodeSeal);
  line(`node createDecipheriv per packet ${size} B`, nodeOpen);
  figures[`seal${size}GBps`] = seal;
  figures[`open${size}GBps`] = open;
  figures[`sealPerCall${size}GBps`] = perCall;
  figures[`nodeSeal${size}GBps`] = nodeSeal;
  figures[`nodeOpen${size}GBps`] = nodeOpen;
}
aead.destroy();

// OpenSSL's own rate, streaming one context without a per-packet nonce or tag: the most EVP
// can give at this size. Its version may differ from the one Node embeds; both are printed.
for (const size of [1408, 1420]) {
  const run = spawnSync('openssl', ['speed', '-evp', 'chacha20-poly1305', '-bytes', String(size), '-seconds', '2'], {
    encoding: 'utf8',
  });
  const match = /ChaCha20-Poly1305\s+([\d.]+)k/i.exec(run.stdout ?? '');
  if (run.status !== 0 || !match) {
    console.log(`openssl speed at ${size} B unavailable (${run.error?.message ?? run.stderr.trim()})`);
    continue;
  }
  const gbps = (Number(match[1]) * 1000) / 1e9;
  line(`openssl speed -evp (streaming) ${size} B`, gbps);
  figures[`opensslSpeed${size}GBps`] = gbps;
}
const cli = spawnSync('openssl', ['version'], { encoding: 'utf8' });
console.log(`OpenSSL in Node: ${process.versions.openssl}; openssl CLI: ${(cli.stdout ?? '').trim() || 'absent'}`);

const rounded = Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Number(v.toFixed(3))]));
console.log(JSON.stringify(rounded));
