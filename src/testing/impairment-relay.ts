// A lossy underlay in userspace: a UDP relay between two WireGuard peers (each uses the relay's
// port facing it as its peer's endpoint) that drops, reorders and duplicates datagrams the way
// `tc qdisc ... netem loss L reorder R duplicate D` would, with a seeded PRNG and counters of
// what it did. For kernels without sch_netem (CONFIG_NET_SCH_NETEM unset), where netem is
// "Specified qdisc kind is unknown". Run as a process in a namespace (startImpairmentRelay):
// Node cannot open a socket in another network namespace.
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import type { Namespace } from './netns.js';
import { prng } from './prng.js';

export interface Impairment {
  /** Fractions in [0, 1] of the datagrams dropped, held back to follow the next one, duplicated. */
  loss: number;
  reorder: number;
  duplicate: number;
  seed: number;
}

export interface ImpairmentCounters {
  received: number;
  sent: number;
  dropped: number;
  duplicated: number;
  /** Held back and sent after a later datagram. */
  reordered: number;
  /** Held back, but no later datagram came within HOLD_MS: sent late, in order. */
  delayed: number;
}

/** How long a held-back datagram waits for one to overtake it (netem's reorder needs a delay too). */
export const HOLD_MS = 5;

/** One direction of the relay: decides each datagram's fate and hands the survivors to send. */
export class ImpairedLink {
  private readonly random: () => number;
  private held: { datagram: Buffer; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly impairment: Impairment,
    private readonly send: (datagram: Buffer) => void,
    private readonly counters: ImpairmentCounters,
    seedOffset: number,
  ) {
    this.random = prng(impairment.seed + seedOffset);
  }

  push(datagram: Buffer): void {
    this.counters.received++;
    if (this.random() < this.impairment.loss) {
      this.counters.dropped++;
      return;
    }
    const copies = this.random() < this.impairment.duplicate ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    if (this.held === undefined && this.random() < this.impairment.reorder) {
      // netem reorders a packet against the ones after it; a duplicate is held together with it.
      this.held = { datagram, timer: setTimeout(() => this.releaseHeld('delayed'), HOLD_MS) };
      if (copies === 2) this.emit(datagram);
      return;
    }
    for (let i = 0; i < copies; i++) this.emit(datagram);
    this.releaseHeld('reordered');
  }

  close(): void {
    if (this.held !== undefined) clearTimeout(this.held.timer);
    this.held = undefined;
  }

  private releaseHeld(how: 'reordered' | 'delayed'): void {
    if (this.held === undefined) return;
    clearTimeout(this.held.timer);
    const { datagram } = this.held;
    this.held = undefined;
    this.counters[how]++;
    this.emit(datagram);
  }

  private emit(datagram: Buffer): void {
    this.counters.sent++;
    this.send(datagram);
  }
}

export interface RelayAddresses {
  /** Where the relay listens for the left peer (the left peer's endpoint for its peer), host:port. */
  leftFacing: string;
  /** The left peer's own address, where the relay sends what the right peer sent. */
  left: string;
  rightFacing: string;
  right: string;
}

function hostPort(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]+)\]?:(\d+)$/.exec(address);
  if (!match) throw new Error(`not host:port: ${address}`);
  return { host: match[1], port: Number(match[2]) };
}

function bind(address: string): Promise<Socket> {
  const { host, port } = hostPort(address);
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** Runs the relay in this process until SIGTERM, then prints its counters as one JSON line. */
async function runRelay(addresses: RelayAddresses, impairment: Impairment): Promise<void> {
  const counters: ImpairmentCounters = { received: 0, sent: 0, dropped: 0, duplicated: 0, reordered: 0, delayed: 0 };
  const leftSocket = await bind(addresses.leftFacing);
  const rightSocket = await bind(addresses.rightFacing);
  const left = hostPort(addresses.left);
  const right = hostPort(addresses.right);
  // Send errors (a peer's port not yet open) are what a lossy network does too: ignored.
  const toRight = new ImpairedLink(impairment, (d) => rightSocket.send(d, right.port, right.host, () => undefined), counters, 0);
  const toLeft = new ImpairedLink(impairment, (d) => leftSocket.send(d, left.port, left.host, () => undefined), counters, 1);
  leftSocket.on('message', (d) => toRight.push(d));
  rightSocket.on('message', (d) => toLeft.push(d));
  process.once('SIGTERM', () => {
    toRight.close();
    toLeft.close();
    leftSocket.close();
    rightSocket.close();
    process.stdout.write(JSON.stringify(counters) + '\n');
  });
  process.stdout.write('ready\n');
}

export interface RunningRelay {
  /** Stops the relay and returns what it did. */
  stop(): Promise<ImpairmentCounters>;
}

/** Starts the relay inside ns (which must own the two facing addresses); resolves once it listens. */
export async function startImpairmentRelay(ns: Namespace, addresses: RelayAddresses, impairment: Impairment): Promise<RunningRelay> {
  const child = ns.spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify({ addresses, impairment })]);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => stdout.startsWith('ready\n') && resolve());
    void exited.then((code) => reject(new Error(`impairment relay exited ${code}: ${stderr.trim()}`)));
  });
  await ready;
  return {
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) throw new Error(`impairment relay exited ${code}: ${stderr.trim()}`);
      return JSON.parse(stdout.slice('ready\n'.length)) as ImpairmentCounters;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { addresses, impairment } = JSON.parse(process.argv[2]) as { addresses: RelayAddresses; impairment: Impairment };
  runRelay(addresses, impairment).catch((err: Error) => {
    process.stderr.write(`impairment relay: ${err.message}\n`);
    process.exit(1);
  });
}
