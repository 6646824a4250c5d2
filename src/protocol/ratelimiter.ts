// Handshake admission under load (kernel ratelimiter.c, receive.c; wireguard-go
// ratelimiter/ratelimiter.go, device/receive.go): a token bucket per source (an IPv4 address or
// an IPv6 /64), 20 handshakes per second with a burst of 5, consulted only while the device is
// under load, i.e. while at least N handshakes wait to be processed and for 1 s after.
import { HANDSHAKE_RATE_BURST, HANDSHAKE_RATE_PER_SECOND, UNDER_LOAD_AFTER_TIME } from './constants.js';
import type { IpAddress } from '../net/ip.js';
import { toHex } from './hex.js';

const PACKET_COST = 1000 / HANDSHAKE_RATE_PER_SECOND;
const TOKEN_MAX = PACKET_COST * HANDSHAKE_RATE_BURST;
/** Buckets idle this long are full again and are forgotten. */
const ENTRY_IDLE_TIME = 1000;

interface Bucket {
  tokens: number;
  lastTime: number;
}

export class Ratelimiter {
  private readonly buckets = new Map<string, Bucket>();
  private lastCollection = 0;

  /** maxEntries bounds memory under a spoofed flood; sources beyond it are refused, as in the kernel. */
  constructor(private readonly maxEntries = 65_536) {}

  allow(source: IpAddress, now: number): boolean {
    this.collect(now);
    const key = sourceKey(source);
    const bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxEntries) return false;
      this.buckets.set(key, { tokens: TOKEN_MAX - PACKET_COST, lastTime: now });
      return true;
    }
    bucket.tokens = Math.min(TOKEN_MAX, bucket.tokens + Math.max(0, now - bucket.lastTime));
    bucket.lastTime = now;
    if (bucket.tokens < PACKET_COST) return false;
    bucket.tokens -= PACKET_COST;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }

  private collect(now: number): void {
    if (now - this.lastCollection < ENTRY_IDLE_TIME) return;
    this.lastCollection = now;
    for (const [key, bucket] of this.buckets) if (now - bucket.lastTime >= ENTRY_IDLE_TIME) this.buckets.delete(key);
  }
}

function sourceKey(source: IpAddress): string {
  const bytes = source.family === 4 ? source.bytes.subarray(0, 4) : source.bytes.subarray(0, 8);
  return `${source.family}:${toHex(bytes)}`;
}

/** "Under load": at least `threshold` handshakes queued now, or were less than 1 s ago. */
export class LoadMonitor {
  private lastUnderLoad: number | undefined;

  constructor(readonly threshold: number) {
    if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`under-load threshold must be a positive integer, got ${threshold}`);
  }

  update(queuedHandshakes: number, now: number): boolean {
    if (queuedHandshakes >= this.threshold) {
      this.lastUnderLoad = now;
      return true;
    }
    if (this.lastUnderLoad === undefined) return false;
    if (now - this.lastUnderLoad < UNDER_LOAD_AFTER_TIME) return true;
    this.lastUnderLoad = undefined;
    return false;
  }
}
