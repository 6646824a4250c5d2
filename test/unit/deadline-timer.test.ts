import assert from 'node:assert/strict';
import { DeadlineTimer, type TimerHost } from '../../src/device/deadline-timer.js';

/** A fake clock whose timers run when advance() passes them. */
class FakeHost implements TimerHost {
  time = 1000;
  private timers = new Map<number, { at: number; fire: () => void }>();
  private nextId = 1;
  readonly delays: number[] = [];

  now(): number {
    return this.time;
  }
  setTimeout(fire: () => void, delayMs: number): unknown {
    this.delays.push(delayMs);
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + delayMs, fire });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  advance(to: number): void {
    for (;;) {
      const due = [...this.timers.entries()].filter(([, t]) => t.at <= to).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fire();
    }
    this.time = to;
  }
}

describe('deadline timer', () => {
  it('fires at the deadline to the millisecond, once, with one timer armed', () => {
    const host = new FakeHost();
    const fired: number[] = [];
    const timer = new DeadlineTimer(host, () => fired.push(host.now()));
    timer.arm(6_217);
    timer.arm(9_000); // later: the earlier firing stands
    assert.equal(host.pending, 1);
    assert.equal(timer.armedFor, 6_217);
    host.advance(6_216);
    assert.deepEqual(fired, []);
    host.advance(20_000);
    assert.deepEqual(fired, [6_217]);
    assert.equal(timer.armedFor, undefined);
  });

  it('moves to an earlier deadline, rounds up to whole ms, never below 1 ms, and cancels', () => {
    const host = new FakeHost();
    let fired = 0;
    const timer = new DeadlineTimer(host, () => fired++);
    timer.arm(5_000);
    timer.arm(1_500.4);
    assert.equal(host.pending, 1);
    assert.deepEqual(host.delays, [4_000, 501]);
    timer.arm(999);
    assert.equal(host.delays.at(-1), 1, 'a deadline already past fires on the next turn');
    timer.arm(undefined);
    assert.equal(host.pending, 0);
    host.advance(10_000);
    assert.equal(fired, 0);
  });
});
