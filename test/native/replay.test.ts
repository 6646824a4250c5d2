// The RFC 6479 replay window through the addon: the cases of the Linux kernel's counter
// selftest (drivers/net/wireguard/selftest/counter.c, rewritten here), the window edge, word
// boundaries, the message limit, and a random differential check against a naive reference.
import assert from 'node:assert/strict';
import { loadNative } from '../../src/native/loader.js';
import { REJECT_AFTER_MESSAGES } from '../../src/protocol/constants.js';
import { REPLAY_WINDOW_SIZE, ReplayWindow } from '../../src/native/replay.js';

const W = BigInt(REPLAY_WINDOW_SIZE);
const U64_MAX = 2n ** 64n - 1n;

// Feeds counters in order and compares every verdict, naming the step that differs.
function expectVerdicts(window: ReplayWindow, steps: Array<[bigint, boolean]>): void {
  steps.forEach(([counter, expected], i) => {
    assert.equal(window.accept(counter), expected, `step ${i + 1}: counter ${counter}`);
  });
}

// Same window rule, written the obvious way: every counter ever accepted is kept.
class NaiveWindow {
  readonly #seen = new Set<bigint>();
  #greatest = -1n;

  accept(counter: bigint, limit: bigint): boolean {
    if (counter >= limit || this.#seen.has(counter)) return false;
    if (this.#greatest >= 0n && counter + W < this.#greatest) return false;
    this.#seen.add(counter);
    if (counter > this.#greatest) this.#greatest = counter;
    return true;
  }
}

// Deterministic generator (xorshift64*) so a failure can be replayed from its seed.
function random(seed: bigint): () => bigint {
  let state = seed;
  return () => {
    state ^= state >> 12n;
    state ^= (state << 25n) & 0xffffffffffffffffn;
    state ^= state >> 27n;
    return (state * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
  };
}

describe('replay window (native/replay.cc)', () => {
  describe('the kernel selftest cases', () => {
    const LIM = W + 1n; // T_LIM in the kernel: COUNTER_WINDOW_SIZE + 1
    const R = REJECT_AFTER_MESSAGES;

    it('runs the 34-step sequence: duplicates, reordering, too old, limit', () => {
      expectVerdicts(new ReplayWindow(), [
        [0n, true], [1n, true], [1n, false], [9n, true], [8n, true], [7n, true], [7n, false],
        [LIM, true], [LIM - 1n, true], [LIM - 1n, false], [LIM - 2n, true], [2n, true], [2n, false],
        [LIM + 16n, true], [3n, false], [LIM + 16n, false], [LIM * 4n, true],
        [LIM * 4n - (LIM - 1n), true], [10n, false], [LIM * 4n - LIM, false],
        [LIM * 4n - (LIM + 1n), false], [LIM * 4n - (LIM - 2n), true], [LIM * 4n + 1n - LIM, false],
        [0n, false], [R, false], [R - 1n, true], [R, false], [R - 1n, false], [R - 2n, true],
        [R + 1n, false], [R + 2n, false], [R - 2n, false], [R - 3n, true], [0n, false],
      ]);
    });

    it('1..W ascending, then 0 is exactly at the edge and accepted once', () => {
      const w = new ReplayWindow();
      for (let i = 1n; i <= W; i++) assert.equal(w.accept(i), true, `counter ${i}`);
      expectVerdicts(w, [[0n, true], [0n, false]]);
    });

    it('2..W+1 ascending, then 1 is at the edge and 0 one past it', () => {
      const w = new ReplayWindow();
      for (let i = 2n; i <= W + 1n; i++) assert.equal(w.accept(i), true, `counter ${i}`);
      expectVerdicts(w, [[1n, true], [0n, false]]);
    });

    it('W..0 descending is all accepted', () => {
      const w = new ReplayWindow();
      for (let i = W + 1n; i-- > 0n; ) assert.equal(w.accept(i), true, `counter ${i}`);
    });

    it('W+1..1 descending is all accepted, then 0 is too old', () => {
      const w = new ReplayWindow();
      for (let i = W + 2n; i-- > 1n; ) assert.equal(w.accept(i), true, `counter ${i}`);
      expectVerdicts(w, [[0n, false]]);
    });

    it('W..1 descending, then W+1 and then 0 (now too old)', () => {
      const w = new ReplayWindow();
      for (let i = W + 1n; i-- > 1n; ) assert.equal(w.accept(i), true, `counter ${i}`);
      expectVerdicts(w, [[W + 1n, true], [0n, false]]);
    });

    it('W..1 descending, then 0 and then W+1', () => {
      const w = new ReplayWindow();
      for (let i = W + 1n; i-- > 1n; ) assert.equal(w.accept(i), true, `counter ${i}`);
      expectVerdicts(w, [[0n, true], [W + 1n, true]]);
    });
  });

  it('accepts newest - 8128 and rejects newest - 8129, as the kernel does', () => {
    const newest = 100_000n;
    const w = new ReplayWindow();
    expectVerdicts(w, [[newest, true], [newest - W - 1n, false], [newest - W, true], [newest - W, false]]);
  });

  it('keeps bits across 64-bit word boundaries and clears them on jumps', () => {
    const w = new ReplayWindow();
    expectVerdicts(w, [[63n, true], [64n, true], [127n, true], [128n, true], [63n, false], [64n, false]]);
    // Jump by exactly one ring (128 words): the words that come round again must be fresh.
    expectVerdicts(w, [[128n + 128n * 64n, true], [128n, false], [128n * 64n + 64n, true], [128n * 64n + 64n, false]]);
    // Far ahead: everything before falls out, counters just behind the new newest still pass.
    const far = 10n ** 15n;
    expectVerdicts(w, [[far, true], [128n + 128n * 64n, false], [far - 1n, true], [far - W, true], [far + 1n, true], [far, false]]);
  });

  it('rejects counters at or above the limit, and honours a lower limit', () => {
    const w = new ReplayWindow();
    assert.equal(w.accept(REJECT_AFTER_MESSAGES), false);
    assert.equal(w.accept(2n ** 64n - 1n), false);
    assert.equal(w.accept(REJECT_AFTER_MESSAGES - 1n), true);
    const limited = new ReplayWindow();
    expectVerdicts(limited, [[5n, true]]);
    assert.equal(limited.accept(100n, 100n), false);
    assert.equal(limited.accept(99n, 100n), true);
  });

  it('reset forgets everything', () => {
    const w = new ReplayWindow();
    expectVerdicts(w, [[5n, true], [5n, false], [100_000n, true], [5n, false]]);
    w.reset();
    expectVerdicts(w, [[5n, true], [5n, false]]);
  });

  it('agrees with a naive Set-based window under random traffic', () => {
    for (const seed of [1n, 0x9e3779b97f4a7c15n, 12345n]) {
      const next = random(seed);
      for (const base of [0n, REJECT_AFTER_MESSAGES - 200_000n]) {
        const real = new ReplayWindow();
        const naive = new NaiveWindow();
        let newest = base;
        for (let step = 0; step < 30_000; step++) {
          const roll = next() % 100n;
          let counter: bigint;
          if (roll < 50n) counter = newest + (next() % 70n); // mostly in order, some gaps
          else if (roll < 85n) counter = newest - (next() % (W + 200n)); // reordering around the edge
          else if (roll < 95n) counter = newest + (next() % 20_000n); // jumps over several words
          else counter = base + (next() % 300_000n); // anywhere, including past the limit
          if (counter < 0n) counter = 0n;
          if (counter > U64_MAX) counter = U64_MAX;
          if (counter > newest) newest = counter;
          const limit = roll === 99n ? newest - (next() % 10n) : REJECT_AFTER_MESSAGES;
          assert.equal(real.accept(counter, limit), naive.accept(counter, limit), `seed ${seed}, step ${step}, counter ${counter}`);
        }
      }
    }
  });

  describe('bad input', () => {
    const w = new ReplayWindow();
    it('non-bigint counters are TypeErrors', () => {
      assert.throws(() => w.accept(1 as unknown as bigint), TypeError);
      assert.throws(() => w.accept(5n, '7' as unknown as bigint), TypeError);
    });
    it('counters outside [0, 2^64) are RangeErrors', () => {
      assert.throws(() => w.accept(-1n), RangeError);
      assert.throws(() => w.accept(2n ** 64n), RangeError);
      assert.throws(() => w.accept(0n, 2n ** 64n), RangeError);
    });
    it('the raw addon checks its arguments too', () => {
      const raw = new (loadNative().ReplayWindow)();
      const accept = raw.accept as unknown as (...args: unknown[]) => unknown;
      assert.throws(() => accept.call(raw), TypeError);
      assert.throws(() => accept.call(raw, 3), TypeError);
      assert.throws(() => accept.call(raw, -3n), RangeError);
      assert.throws(() => accept.call(raw, 3n, 2n ** 70n), RangeError);
      assert.equal(accept.call(raw, 3n, undefined), true);
    });
  });
});
