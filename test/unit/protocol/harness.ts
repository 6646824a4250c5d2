// Two or more in-memory WireGuard nodes on a fake clock: each a ProtocolCore plus a tiny data
// plane written in TypeScript (keypair slots and rekey triggers as sim-keypairs.ts, staging
// queue, AEAD data messages), joined by a lossy in-memory network. Used by the lifecycle tests.
import { createNativeCrypto } from '../../../src/crypto/native-crypto.js';
import type { Crypto, Random } from '../../../src/protocol/crypto.js';
import { ProtocolCore } from '../../../src/protocol/core.js';
import { formatEndpoint } from '../../../src/config/endpoint.js';
import type { IpEndpoint } from '../../../src/config/endpoint.js';
import { decodeDataHeader, encodeDataHeader, messageKind } from '../../../src/protocol/messages.js';
import type { ProtocolAction } from '../../../src/protocol/peer.js';
import { parseIp } from '../../../src/net/ip.js';
import { SimKeypairSlots } from './sim-keypairs.js';

/** xorshift32: deterministic bytes for indices, jitter and cookie secrets. */
export class SeededRandom implements Random {
  constructor(private state: number) {}
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      let x = this.state;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.state = x >>> 0;
      out[i] = this.state & 0xff;
    }
    return out;
  }
}

export const WALL_EPOCH = 1_764_000_000_000;

export class Clock {
  now = 0;
  /** Offset of the wall clock from WALL_EPOCH + now (lets a test move the wall clock alone). */
  wallOffset = 0;
  wall = (): number => WALL_EPOCH + this.now + this.wallOffset;
}

export function endpoint(ip: string, port: number): IpEndpoint {
  const address = parseIp(ip);
  if (!address) throw new Error(`bad ip ${ip}`);
  return { address, port };
}

export interface Sent {
  at: number;
  from: IpEndpoint;
  to: IpEndpoint;
  packet: Uint8Array;
}

export class SimNode {
  readonly device: ProtocolCore;
  readonly slots = new Map<number, SimKeypairSlots>();
  readonly staged = new Map<number, Uint8Array[]>();
  readonly received: { peerId: number; payload: Uint8Array; at: number }[] = [];
  readonly keepalivesSent: number[] = [];
  readonly initiationsSent: number[] = [];
  readonly droppedStaged: number[] = [];
  /** What the caller reports as queued handshakes on every receive (load simulation). */
  queuedHandshakes = 0;

  constructor(
    readonly name: string,
    readonly address: IpEndpoint,
    readonly privateKey: Uint8Array,
    private readonly net: Network,
    private readonly crypto: Crypto,
    random: Random,
  ) {
    this.device = new ProtocolCore({ crypto, random, wallClock: net.clock.wall });
    this.device.setPrivateKey(privateKey);
    net.attach(this);
  }

  get now(): number {
    return this.net.clock.now;
  }

  apply(actions: ProtocolAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'send':
          if (messageKind(a.packet).ok && a.packet[0] === 1) this.initiationsSent.push(this.now);
          this.net.send({ at: this.now, from: this.address, to: a.endpoint, packet: a.packet });
          break;
        case 'installKeypair': {
          const slots = this.slots.get(a.peerId) ?? new SimKeypairSlots();
          this.slots.set(a.peerId, slots);
          slots.install(a.keypair);
          // As the native data plane: an initiator's session sends what waited for it.
          if (a.keypair.isInitiator) this.flush(a.peerId);
          break;
        }
        case 'clearKeypairs':
          this.slots.get(a.peerId)?.clear();
          break;
        case 'sendKeepalive':
          if ((this.staged.get(a.peerId) ?? []).length > 0) this.flush(a.peerId);
          else this.sendData(a.peerId, new Uint8Array(0));
          break;
        case 'dropStaged':
          this.droppedStaged.push(this.now);
          this.staged.set(a.peerId, []);
          break;
        case 'endpoint':
          break;
      }
    }
  }

  /** Sends a data message (empty = keepalive), staging it and asking for a handshake without a session. */
  sendData(peerId: number, payload: Uint8Array): void {
    const peer = this.device.peer(peerId);
    if (!peer) throw new Error(`${this.name}: no peer ${peerId}`);
    const taken = peer.endpoint && this.slots.get(peerId)?.takeSendCounter(this.now);
    if (!taken || !peer.endpoint) {
      if (payload.length > 0 || (this.staged.get(peerId) ?? []).length === 0) {
        this.staged.set(peerId, [...(this.staged.get(peerId) ?? []), payload]);
      }
      this.apply(peer.needHandshake(this.now));
      return;
    }
    const { keypair, counter, rekey } = taken;
    if (rekey) this.apply(peer.needHandshake(this.now));
    const sealed = this.crypto.aeadSeal(keypair.sendKey, counter, payload, new Uint8Array(0));
    const packet = new Uint8Array(16 + sealed.length);
    packet.set(encodeDataHeader({ receiverIndex: keypair.remoteIndex, counter }));
    packet.set(sealed, 16);
    if (payload.length === 0) this.keepalivesSent.push(this.now);
    this.net.send({ at: this.now, from: this.address, to: peer.endpoint, packet });
    peer.packetSent(this.now, payload.length > 0);
  }

  flush(peerId: number): void {
    const queue = this.staged.get(peerId) ?? [];
    this.staged.set(peerId, []);
    for (const p of queue) this.sendData(peerId, p);
  }

  deliver(packet: Uint8Array, source: IpEndpoint): void {
    const kind = messageKind(packet);
    if (kind.ok && kind.kind === 'data') {
      this.receiveData(packet);
      return;
    }
    this.apply(this.device.receive(packet, source, this.now, this.queuedHandshakes).actions);
  }

  private receiveData(packet: Uint8Array): void {
    const header = decodeDataHeader(packet);
    if (!header.ok) return;
    for (const [peerId, slots] of this.slots) {
      const kp = slots.find(header.message.receiverIndex);
      if (!kp) continue;
      if (!slots.receiveAllowed(kp, header.message.counter, this.now)) return;
      const payload = this.crypto.aeadOpen(kp.receiveKey, header.message.counter, header.message.encrypted, new Uint8Array(0));
      if (!payload) return;
      const peer = this.device.peer(peerId);
      if (!peer) return;
      const { confirmed, rekey } = slots.receivedWith(kp, this.now);
      if (confirmed) {
        peer.keypairConfirmed(this.now);
        this.flush(peerId);
      }
      if (rekey) this.apply(peer.needHandshake(this.now));
      peer.packetReceived(this.now, payload.length > 0);
      if (payload.length > 0) this.received.push({ peerId, payload, at: this.now });
      return;
    }
  }
}

export class Network {
  readonly clock = new Clock();
  readonly log: Sent[] = [];
  private readonly nodes = new Map<string, SimNode>();
  private queue: Sent[] = [];
  /** Return true to lose a packet. */
  lose: (s: Sent) => boolean = () => false;

  attach(node: SimNode): void {
    this.nodes.set(formatEndpoint(node.address), node);
  }

  send(s: Sent): void {
    this.log.push(s);
    this.queue.push(s);
  }

  /** Delivers every queued packet (and whatever they cause) immediately. */
  flush(): void {
    while (this.queue.length > 0) {
      const s = this.queue.shift() as Sent;
      if (this.lose(s)) continue;
      this.nodes.get(formatEndpoint(s.to))?.deliver(s.packet, s.from);
    }
  }

  /** Advances the clock to `until` in steps of `step` ms, ticking every node's device. */
  run(until: number, step = 250, each?: (now: number) => void): void {
    while (this.clock.now < until) {
      this.clock.now = Math.min(until, this.clock.now + step);
      for (const node of this.nodes.values()) node.apply(node.device.tick(this.clock.now));
      this.flush();
      each?.(this.clock.now);
      this.flush();
    }
  }
}

/** Two nodes that know each other: a (peer id 1 = b) and b (peer id 2 = a). */
export async function pair(options: { psk?: boolean; keepaliveA?: number } = {}): Promise<{ net: Network; a: SimNode; b: SimNode; crypto: Crypto }> {
  const crypto = await createNativeCrypto();
  const net = new Network();
  const keyA = new SeededRandom(11).bytes(32);
  const keyB = new SeededRandom(22).bytes(32);
  const a = new SimNode('a', endpoint('192.0.2.1', 51820), keyA, net, crypto, new SeededRandom(1));
  const b = new SimNode('b', endpoint('192.0.2.2', 51821), keyB, net, crypto, new SeededRandom(2));
  const psk = options.psk ? new SeededRandom(33).bytes(32) : undefined;
  const pubA = a.device.publicKey as Uint8Array;
  const pubB = b.device.publicKey as Uint8Array;
  a.apply(a.device.addPeer(1, { publicKey: pubB, endpoint: b.address, presharedKey: psk, persistentKeepalive: options.keepaliveA }, 0).actions);
  b.apply(b.device.addPeer(2, { publicKey: pubA, presharedKey: psk }, 0).actions);
  return { net, a, b, crypto };
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);
