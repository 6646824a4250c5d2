// A steady stream of pings through a tunnel, with the time each reply arrived (ping -D): the
// longest silence between replies is how long the tunnel stalled, whatever the cause.
import type { Namespace } from '../../src/testing/netns.js';
import { until } from './selftest-world.js';

export class PingStream {
  /** Arrival times of the replies, in ms since the epoch, in order. */
  readonly replies: number[] = [];
  /** The ping process (`ip netns exec` execs it in place). */
  readonly pid: number;
  private stderr = '';

  /** Starts `ping -i intervalMs/1000` from ns to destination; the namespace's destroy() stops it. */
  constructor(ns: Namespace, destination: string, intervalMs: number) {
    const child = ns.spawn('ping', ['-D', '-n', '-i', String(intervalMs / 1000), destination]);
    this.pid = child.pid!;
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const reply = /^\[(\d+\.\d+)\] \d+ bytes from /.exec(line);
        if (reply) this.replies.push(Number(reply[1]) * 1000);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  /** Waits for a reply that arrived after `after` (ms since the epoch); returns its time. */
  async replyAfter(after: number, timeoutMs: number): Promise<number> {
    await until(`a ping reply${this.stderr ? ` (ping: ${this.stderr.trim()})` : ''}`, () => (this.replies.at(-1) ?? 0) > after, timeoutMs);
    return this.replies.find((t) => t > after)!;
  }

  /** The longest time between consecutive replies from the last one before `from` to the first one after `to`. */
  longestGap(from: number, to: number): number {
    return Math.max(...this.gaps(from, to));
  }

  /** The usual time between replies (the median gap) over the same span. */
  medianGap(from: number, to: number): number {
    const gaps = this.gaps(from, to).sort((a, b) => a - b);
    return gaps[gaps.length >> 1];
  }

  private gaps(from: number, to: number): number[] {
    const first = Math.max(0, this.replies.findIndex((t) => t >= from) - 1);
    const last = this.replies.findIndex((t) => t > to);
    if (last < 0) throw new Error('no reply after the measured interval yet');
    const gaps: number[] = [];
    for (let i = first + 1; i <= last; i++) gaps.push(this.replies[i] - this.replies[i - 1]);
    return gaps;
  }
}
