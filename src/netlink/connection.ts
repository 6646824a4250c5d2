// Request/response over one NETLINK_ROUTE socket: sequence numbers, acks turned into
// NetlinkError, multi-part dumps collected until NLMSG_DONE (retried when the kernel flags the
// dump as interrupted by a concurrent change), a bounded number of requests in flight so acks
// never overflow the receive buffer, requests of one tick batched into one datagram, and one
// dump at a time (the kernel allows no more).
import type { NativeNetlinkSocket, NativeSystemError } from '../native/native.js';
import { NLM_F, NLMSG } from './constants.js';
import { NetlinkError, NetlinkMessage, parseAck, splitMessages } from './message.js';
import { openNetlinkSocket } from './socket.js';
import { WireWriter } from './wire.js';

export interface ConnectionOptions {
  /** Open the socket in this network namespace (e.g. /var/run/netns/NAME). */
  netnsPath?: string;
}

interface Pending {
  requestType: number;
  messages: NetlinkMessage[];
  interrupted: boolean;
  resolve(messages: NetlinkMessage[]): void;
  reject(error: Error): void;
}

// Acks are small but each costs about 1 KiB of the 4 MiB receive buffer.
const MAX_IN_FLIGHT = 512;
const MAX_DATAGRAM = 32 * 1024;
const DUMP_ATTEMPTS = 5;

export class NetlinkConnection {
  private readonly socket: NativeNetlinkSocket;
  private readonly pending = new Map<number, Pending>();
  // Callers waiting for a free in-flight slot, oldest first from waitingHead (shift() is O(n)).
  private waiting: (() => void)[] = [];
  private waitingHead = 0;
  private dumpChain: Promise<unknown> = Promise.resolve();
  private seq = (Math.random() * 0x7fffffff) >>> 0;
  private closedError: Error | undefined;
  private outbox: Uint8Array[] = [];
  private outboxSeqs: number[] = [];
  private outboxBytes = 0;

  constructor(options: ConnectionOptions = {}) {
    this.socket = openNetlinkSocket({ netnsPath: options.netnsPath }, (error, datagrams, overflowed) =>
      this.onReceive(error, datagrams, overflowed),
    );
    // An idle connection does not keep the process alive; one awaiting the kernel does.
    this.socket.unref();
  }

  /** Sends a request with NLM_F_ACK; resolves with any replies once the kernel acks it. */
  request(type: number, flags: number, body: (w: WireWriter) => void): Promise<NetlinkMessage[]> {
    return this.transact(type, NLM_F.REQUEST | NLM_F.ACK | flags, body);
  }

  /** A dump (NLM_F_DUMP): every message up to NLMSG_DONE, consistent (retried if interrupted). */
  dump(type: number, body: (w: WireWriter) => void): Promise<NetlinkMessage[]> {
    const run = async () => {
      for (let attempt = 1; ; attempt++) {
        const pending = this.transactRaw(type, NLM_F.REQUEST | NLM_F.DUMP, body);
        const { messages, interrupted } = await pending;
        if (!interrupted) return messages;
        if (attempt === DUMP_ATTEMPTS) {
          throw new Error(`netlink: dump of type ${type} kept changing under us (NLM_F_DUMP_INTR ${attempt} times)`);
        }
      }
    };
    const result = this.dumpChain.then(run, run);
    this.dumpChain = result.catch(() => undefined);
    return result;
  }

  close(): void {
    if (this.closedError) return;
    this.closedError = new Error('netlink connection closed');
    this.socket.close();
    this.failAll(this.closedError);
  }

  private async transact(type: number, flags: number, body: (w: WireWriter) => void): Promise<NetlinkMessage[]> {
    return (await this.transactRaw(type, flags, body)).messages;
  }

  private async transactRaw(
    type: number,
    flags: number,
    body: (w: WireWriter) => void,
  ): Promise<{ messages: NetlinkMessage[]; interrupted: boolean }> {
    while (this.pending.size >= MAX_IN_FLIGHT && !this.closedError) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    if (this.closedError) throw this.closedError;
    this.seq = this.seq === 0xffffffff ? 1 : this.seq + 1;
    const seq = this.seq;
    const datagram = new WireWriter().message(type, flags, seq, body).finish();
    return new Promise((resolve, reject) => {
      const entry: Pending = {
        requestType: type,
        messages: [],
        interrupted: false,
        resolve: (messages) => resolve({ messages, interrupted: entry.interrupted }),
        reject,
      };
      this.pending.set(seq, entry);
      if (this.pending.size === 1) this.socket.ref();
      this.enqueue(seq, datagram);
    });
  }

  // Requests made in the same tick leave in one datagram: the kernel handles its messages in
  // order and acks each, so a burst of route or neighbour changes costs few system calls.
  private enqueue(seq: number, message: Uint8Array): void {
    this.outbox.push(message);
    this.outboxSeqs.push(seq);
    this.outboxBytes += message.length;
    if (this.outboxBytes >= MAX_DATAGRAM) this.flush();
    else if (this.outbox.length === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    if (this.outbox.length === 0) return;
    const datagram = this.outbox.length === 1 ? this.outbox[0] : Buffer.concat(this.outbox);
    const seqs = this.outboxSeqs;
    this.outbox = [];
    this.outboxSeqs = [];
    this.outboxBytes = 0;
    if (this.closedError) return;
    try {
      this.socket.send(datagram);
    } catch (err) {
      for (const seq of seqs) {
        const entry = this.pending.get(seq);
        if (!entry) continue;
        this.finish(seq);
        entry.reject(err as Error);
      }
    }
  }

  private finish(seq: number): void {
    this.pending.delete(seq);
    if (this.pending.size === 0 && !this.closedError) this.socket.unref();
    if (this.waitingHead < this.waiting.length) {
      const wake = this.waiting[this.waitingHead++];
      if (this.waitingHead === this.waiting.length) {
        this.waiting = [];
        this.waitingHead = 0;
      }
      wake();
    }
  }

  private failAll(error: Error): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) entry.reject(error);
    const waiting = this.waiting.slice(this.waitingHead);
    this.waiting = [];
    this.waitingHead = 0;
    for (const wake of waiting) wake();
    if (!this.closedError) this.socket.unref();
  }

  private onReceive(error: NativeSystemError | null, datagrams: Uint8Array[], overflowed: boolean): void {
    if (error) {
      this.failAll(error);
      return;
    }
    if (overflowed) {
      // Replies were dropped: nobody can tell which, so every waiting request fails.
      this.failAll(new Error('netlink: receive buffer overflowed (ENOBUFS), replies lost'));
    }
    for (const datagram of datagrams) {
      for (const message of splitMessages(datagram)) this.dispatch(message);
    }
  }

  private dispatch(message: NetlinkMessage): void {
    const entry = this.pending.get(message.seq);
    if (!entry) return;
    if (message.flags & NLM_F.DUMP_INTR) entry.interrupted = true;
    if (message.type === NLMSG.ERROR || message.type === NLMSG.DONE) {
      const ack = parseAck(message);
      this.finish(message.seq);
      if (ack.errno !== 0) entry.reject(new NetlinkError(entry.requestType, ack.errno, ack.extAck));
      else entry.resolve(entry.messages);
      return;
    }
    if (message.type !== NLMSG.NOOP && message.type !== NLMSG.OVERRUN) entry.messages.push(message);
  }
}
