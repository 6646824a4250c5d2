// The Random the daemon hands to the protocol core: the operating system's CSPRNG.
import { randomFillSync } from 'node:crypto';
import type { Random } from '../protocol/crypto.js';

/**
 * The operating system's CSPRNG through node:crypto, drawn 4 KiB at a time: one randomFillSync
 * costs ~4 µs whatever the size up to a few KiB (measured on the 2-vCPU build machine), and a
 * handshake draws a 4-byte index. Bytes are wiped from the pool as they are handed out.
 */
class PooledRandom implements Random {
  private readonly pool = new Uint8Array(4096);
  private used = this.pool.length;

  bytes(length: number): Uint8Array {
    if (length > this.pool.length) return randomFillSync(new Uint8Array(length));
    if (length > this.pool.length - this.used) {
      randomFillSync(this.pool);
      this.used = 0;
    }
    const out = this.pool.slice(this.used, this.used + length);
    this.pool.fill(0, this.used, this.used + length);
    this.used += length;
    return out;
  }
}

export const systemRandom: Random = new PooledRandom();
