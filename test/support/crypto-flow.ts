// What the crypto worker pool's netns tests read: a namespace's TCP counters (order kept?), the
// CPU time of a daemon's crypto helper threads (did they work?), and a child's output.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Namespace } from '../../src/testing/netns.js';
import { cpuTicks } from '../../src/testing/proc-stat.js';

/** The sender's kernel counts a segment it thought lost that arrived after all (real reordering, not loss). */
export const SENDER_REORDER_COUNTERS = ['TcpExtTCPSACKReorder', 'TcpExtTCPTSReorder', 'TcpExtTCPRenoReorder'];

/** Absolute values of the namespace's TCP counters (nstat -a: since the namespace was made). */
export async function tcpCounters(ns: Namespace, names: string[]): Promise<Record<string, number>> {
  const out = await ns.exec('nstat', ['-asz', ...names]);
  const counters: Record<string, number> = {};
  for (const name of names) {
    const match = new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(out);
    assert.ok(match, `nstat printed no ${name}: ${out}`);
    counters[name] = Number(match[1]);
  }
  return counters;
}

export function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((name) => [name, after[name] - before[name]]));
}

/** The child's output, and its exit code once its output is all read ('close': at 'exit' it may still be in the pipe). */
export function collect(child: ChildProcess): { stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { stdout: () => out, stderr: () => err, exit: new Promise((resolve) => child.on('close', resolve)) };
}

export function threadNames(pid: number): string[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
}

/** CPU ticks (user + system) the process's crypto helper threads have used. */
export function helperTicks(pid: number): number {
  let ticks = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() !== 'viaguard-crypto') continue;
    ticks += cpuTicks(`/proc/${pid}/task/${tid}/stat`);
  }
  return ticks;
}
