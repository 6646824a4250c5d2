// What the netns tests of the parallel data plane (crypto pool, device queues) read and do: a
// namespace's TCP counters (order kept?), the CPU time of a daemon's threads by name (did they
// work?), a child's output, and an ordered transfer through a tunnel.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Namespace } from '../../src/testing/netns.js';
import { cpuTicks } from '../../src/testing/proc-stat.js';
import type { TunnelPair } from '../../src/testing/tunnel-pair.js';
import { waitFor } from './quick-harness.js';

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

/** CPU ticks (user + system) the process's threads of this name have used. */
export function threadTicks(pid: number, name: string): number {
  let ticks = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim() !== name) continue;
    ticks += cpuTicks(`/proc/${pid}/task/${tid}/stat`);
  }
  return ticks;
}

/** CPU ticks the process's crypto helper threads have used. */
export const helperTicks = (pid: number): number => threadTicks(pid, 'viaguard-crypto');

/** Sends `bytes` seeded random bytes over one TCP connection from left to right through the tunnel and asserts that they arrive byte-identical (sha256). */
export async function assertIntactTransfer(pair: TunnelPair, bytes: number, seed: string): Promise<void> {
  const { left, right } = pair;
  const port = 20000 + Math.floor(Math.random() * 20000);
  const receiver = collect(right.ns.spawn('sh', ['-c', `socat -u TCP4-LISTEN:${port},reuseaddr STDOUT | sha256sum`]));
  await waitFor(`socat listening on port ${port}`, async () => (await right.ns.exec('ss', ['-Hltn', `sport = :${port}`])).includes(`:${port}`), 10_000);
  // A fixed stream (seeded bytes) that both ends can hash.
  const make = `head -c ${bytes} /dev/zero | openssl enc -aes-128-ctr -nosalt -pass pass:${seed} 2>/dev/null`;
  const expected = (await left.ns.exec('sh', ['-c', `${make} | sha256sum`])).split(/\s/)[0];
  await left.ns.exec('sh', ['-c', `${make} | socat -u STDIN TCP4:${right.tunnel4}:${port},connect-timeout=20`]);
  assert.equal(await receiver.exit, 0, `receiver failed: ${receiver.stderr()}`);
  assert.equal(receiver.stdout().split(/\s/)[0], expected, 'the bytes arrived changed or out of order');
}

/**
 * assertIntactTransfer, and that the receiver's kernel queued no segment out of order and the
 * sender's saw no reordering. Only where both ends are viaguardd: a loss anywhere also fills the
 * out-of-order queue (wireguard-go's receive side alone queues thousands).
 */
export async function assertOrderedTransfer(pair: TunnelPair, bytes: number, seed: string): Promise<void> {
  const { left, right } = pair;
  const receiverNames = ['TcpExtTCPOFOQueue'];
  // Not TcpRetransSegs: a busy machine makes tail-loss probes and timeouts that say nothing
  // about order; a reordered segment shows in the receiver's out-of-order queue.
  const senderNames = SENDER_REORDER_COUNTERS;
  // The first packets wait for the handshake (staged): a session first, so none of that counts.
  await left.ns.exec('ping', ['-c', '1', '-W', '5', right.tunnel4]);
  const receiverBefore = await tcpCounters(right.ns, receiverNames);
  const senderBefore = await tcpCounters(left.ns, senderNames);
  await assertIntactTransfer(pair, bytes, seed);
  const ofo = difference(await tcpCounters(right.ns, receiverNames), receiverBefore);
  const sender = difference(await tcpCounters(left.ns, senderNames), senderBefore);
  assert.deepEqual(ofo, { TcpExtTCPOFOQueue: 0 }, 'the receiver queued segments out of order');
  assert.deepEqual(sender, { TcpExtTCPSACKReorder: 0, TcpExtTCPTSReorder: 0, TcpExtTCPRenoReorder: 0 }, 'the sender saw reordering');
}
