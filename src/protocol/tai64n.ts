// TAI64N timestamps for handshake initiations (cr.yp.to/libtai/tai64.html): 8 bytes big-endian
// seconds offset by 2^62 (+10 s of TAI-UTC, as wireguard-go's tai64n package), then 4 bytes of
// nanoseconds. The nanoseconds are rounded down to a multiple of 2^24 (about 16.8 ms), as the
// kernel and wireguard-go do, so the timestamp does not leak a precise clock.
import { TIMESTAMP_LENGTH } from './constants.js';

const TAI64_BASE = (1n << 62n) + 10n;
const WHITENER_MASK = (1 << 24) - 1;

/** The TAI64N label of a wall-clock time given in milliseconds since the Unix epoch. */
export function tai64n(wallMs: number): Uint8Array {
  const out = new Uint8Array(TIMESTAMP_LENGTH);
  const view = new DataView(out.buffer);
  const seconds = Math.floor(wallMs / 1000);
  const nanos = Math.floor((wallMs - seconds * 1000) * 1e6);
  view.setBigUint64(0, TAI64_BASE + BigInt(seconds));
  view.setUint32(8, (nanos & ~WHITENER_MASK) >>> 0);
  return out;
}

/** True when a is strictly later than b (both TAI64N labels; big-endian byte order is time order). */
export function tai64nAfter(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < TIMESTAMP_LENGTH; i++) {
    if (a[i] !== b[i]) return a[i] > b[i];
  }
  return false;
}
