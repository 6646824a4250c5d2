// An Internet-sized AllowedIPs table for benchmarks: seeded, distinct prefixes with a length
// mix like the global routing tables (mostly /24 for IPv4, /48 and /32../44 for IPv6).
import { PrefixBatch } from '../native/prefix-batch.js';

// Picks from [value, weight] pairs.
function weighted(random: () => number, table: [number, number][]): number {
  const total = table.reduce((sum, [, w]) => sum + w, 0);
  let r = random() * total;
  for (const [value, w] of table) {
    r -= w;
    if (r < 0) return value;
  }
  return table[table.length - 1][0];
}

// Roughly the global IPv4 table: /24 dominates, then /22, /23, /20, /21, ...
const IPV4_LENGTHS: [number, number][] = [
  [24, 60], [23, 9], [22, 10], [21, 5], [20, 5], [19, 3], [18, 1.5], [17, 0.5], [16, 1],
  [32, 2], [8, 0.2], [12, 0.3], [14, 0.5], [15, 0.5], [25, 0.5], [26, 0.4], [27, 0.3], [28, 0.3], [29, 0.2], [30, 0.2], [31, 0.1],
];
// Roughly the global IPv6 table: /48 and /32..44 dominate.
const IPV6_LENGTHS: [number, number][] = [
  [48, 45], [32, 20], [36, 5], [40, 8], [44, 8], [46, 3], [29, 2], [33, 1], [56, 3], [64, 3], [128, 2],
];

function mask(bytes: Uint8Array, cidr: number): void {
  for (let bit = cidr; bit < bytes.length * 8; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
}

export function randomIpv4(random: () => number): Uint8Array {
  const value = 0x01000000 + Math.floor(random() * (0xe0000000 - 0x01000000)); // 1.0.0.0 - 223.255.255.255
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

export function randomIpv6(random: () => number): Uint8Array {
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Math.floor(random() * 256);
  bytes[0] = 0x20 | (bytes[0] & 0x1f); // 2000::/3
  return bytes;
}

/**
 * Distinct prefixes with the global table's length mix, each given to one of peers 1..peers at
 * random; the same seed builds the same table.
 */
export function buildInternetTable(random: () => number, ipv4: number, ipv6: number, peers: number): PrefixBatch {
  const batch = new PrefixBatch(ipv4 + ipv6);
  const seen = new Set<string>();
  const addDistinct = (family: 4 | 6, count: number, lengths: [number, number][]) => {
    let added = 0;
    while (added < count) {
      const bytes = family === 4 ? randomIpv4(random) : randomIpv6(random);
      const cidr = weighted(random, lengths);
      mask(bytes, cidr);
      const key = `${Buffer.from(bytes).toString('hex')}/${cidr}`;
      if (seen.has(key)) continue;
      seen.add(key);
      batch.add({ family, bytes, cidr }, 1 + Math.floor(random() * peers));
      added++;
    }
  };
  addDistinct(4, ipv4, IPV4_LENGTHS);
  addDistinct(6, ipv6, IPV6_LENGTHS);
  return batch;
}

