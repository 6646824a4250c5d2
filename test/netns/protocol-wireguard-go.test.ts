// Interop against the real wireguard-go (Debian) in a fresh network namespace joined to the
// root namespace by a veth pair. The protocol core runs over a plain node:dgram socket in the
// root namespace with a minimal data plane written here (seal/open with the session keys):
// handshakes both ways, then ICMP echo request/reply through wireguard-go's TUN both ways.
// Privileged: needs root, ip, wg, wireguard-go, ping; fails (never skips) without them.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createNativeCrypto } from '../../src/crypto/native-crypto.js';
import { systemRandom } from '../../src/crypto/system-random.js';
import type { Crypto } from '../../src/protocol/crypto.js';
import { ProtocolCore } from '../../src/protocol/core.js';
import type { IpEndpoint } from '../../src/config/endpoint.js';
import { decodeDataHeader, encodeDataHeader, messageKind } from '../../src/protocol/messages.js';
import type { ProtocolAction } from '../../src/protocol/peer.js';
import { parseIp } from '../../src/net/ip.js';
import { SimKeypairSlots } from '../unit/protocol/sim-keypairs.js';

const run = promisify(execFile);
const now = (): number => performance.now();
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv4 packet carrying an ICMP echo request (type 8) or reply (type 0). */
function icmpEcho(type: 0 | 8, src: string, dst: string, id: number, seq: number, payload: Uint8Array): Uint8Array {
  const icmp = new Uint8Array(8 + payload.length);
  icmp[0] = type;
  icmp[4] = id >> 8;
  icmp[5] = id & 0xff;
  icmp[6] = seq >> 8;
  icmp[7] = seq & 0xff;
  icmp.set(payload, 8);
  const c = checksum(icmp);
  icmp[2] = c >> 8;
  icmp[3] = c & 0xff;
  const ip = new Uint8Array(20 + icmp.length);
  ip[0] = 0x45;
  ip[2] = ip.length >> 8;
  ip[3] = ip.length & 0xff;
  ip[8] = 64;
  ip[9] = 1;
  ip.set((parseIp(src) as { bytes: Uint8Array }).bytes, 12);
  ip.set((parseIp(dst) as { bytes: Uint8Array }).bytes, 16);
  const h = checksum(ip.subarray(0, 20));
  ip[10] = h >> 8;
  ip[11] = h & 0xff;
  ip.set(icmp, 20);
  return ip;
}

interface Echo {
  type: number;
  src: string;
  dst: string;
  id: number;
  seq: number;
  payload: Uint8Array;
}

function parseEcho(packet: Uint8Array): Echo | undefined {
  if (packet.length < 28 || packet[0] !== 0x45 || packet[9] !== 1) return undefined;
  const total = (packet[2] << 8) | packet[3];
  const ip = packet.subarray(0, total);
  assert.equal(checksum(ip.subarray(0, 20)), 0, 'IPv4 header checksum');
  assert.equal(checksum(ip.subarray(20)), 0, 'ICMP checksum');
  return {
    type: ip[20],
    src: ip.subarray(12, 16).join('.'),
    dst: ip.subarray(16, 20).join('.'),
    id: (ip[24] << 8) | ip[25],
    seq: (ip[26] << 8) | ip[27],
    payload: ip.subarray(28),
  };
}

/** The protocol core on a UDP socket with a tiny data plane: one peer (id 1). */
class Node {
  readonly device: ProtocolCore;
  readonly slots = new SimKeypairSlots();
  readonly received: Uint8Array[] = [];
  readonly waiters: (() => void)[] = [];
  private readonly timer: NodeJS.Timeout;
  onPacket: (ip: Uint8Array) => void = () => undefined;

  constructor(
    readonly socket: Socket,
    private readonly crypto: Crypto,
    privateKey: Uint8Array,
  ) {
    this.device = new ProtocolCore({ crypto, random: systemRandom, wallClock: Date.now });
    this.device.setPrivateKey(privateKey);
    socket.on('message', (msg, rinfo) => this.onMessage(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), rinfo.address, rinfo.port));
    this.timer = setInterval(() => this.apply(this.device.tick(now())), 250);
  }

  close(): void {
    clearInterval(this.timer);
    this.socket.close();
  }

  apply(actions: ProtocolAction[]): void {
    for (const a of actions) {
      if (a.type === 'send') this.socket.send(a.packet, a.endpoint.port, a.endpoint.address.bytes.join('.'));
      else if (a.type === 'installKeypair') this.slots.install(a.keypair);
      else if (a.type === 'clearKeypairs') this.slots.clear();
      else if (a.type === 'sendKeepalive') this.sendIp(new Uint8Array(0));
    }
    for (const w of this.waiters.splice(0)) w();
  }

  sendIp(ip: Uint8Array): void {
    const peer = this.device.peer(1);
    const taken = this.slots.takeSendCounter(now());
    assert.ok(peer?.endpoint && taken, 'a session to send with');
    const { keypair: kp, counter } = taken;
    const padded = new Uint8Array(Math.ceil(ip.length / 16) * 16);
    padded.set(ip);
    const sealed = this.crypto.aeadSeal(kp.sendKey, counter, padded, new Uint8Array(0));
    const packet = new Uint8Array(16 + sealed.length);
    packet.set(encodeDataHeader({ receiverIndex: kp.remoteIndex, counter }));
    packet.set(sealed, 16);
    this.socket.send(packet, peer.endpoint.port, peer.endpoint.address.bytes.join('.'));
    peer.packetSent(now(), ip.length > 0);
  }

  private onMessage(packet: Uint8Array, address: string, port: number): void {
    const kind = messageKind(packet);
    if (!kind.ok) return;
    const source: IpEndpoint = { address: parseIp(address) as IpEndpoint['address'], port };
    if (kind.kind !== 'data') {
      this.apply(this.device.receive(packet, source, now()).actions);
      return;
    }
    const header = decodeDataHeader(packet);
    const peer = this.device.peer(1);
    if (!header.ok || !peer) return;
    const kp = this.slots.find(header.message.receiverIndex);
    if (!kp) return;
    const plain = this.crypto.aeadOpen(kp.receiveKey, header.message.counter, header.message.encrypted, new Uint8Array(0));
    if (!plain) return;
    if (this.slots.receivedWith(kp, now()).confirmed) peer.keypairConfirmed(now());
    peer.packetReceived(now(), plain.length > 0);
    if (plain.length > 0) {
      this.received.push(plain);
      this.onPacket(plain);
    }
    for (const w of this.waiters.splice(0)) w();
  }

  async until(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
}

async function bindSocket(address: string): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => resolve());
  });
  return socket;
}

interface DumpPeer {
  publicKey: string;
  endpoint: string;
  latestHandshake: number;
  rx: number;
  tx: number;
}

async function wgDump(ns: string, iface: string): Promise<DumpPeer[]> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, 'wg', 'show', iface, 'dump']);
  return stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const f = line.split('\t');
      return { publicKey: f[0], endpoint: f[2], latestHandshake: Number(f[4]), rx: Number(f[5]), tx: Number(f[6]) };
    });
}

describe('protocol core against wireguard-go (netns, root)', function () {
  this.timeout(60_000);
  const tag = randomBytes(3).toString('hex');
  const ns = `protocol-${tag}`;
  const vethRoot = `prv${tag}a`;
  const vethNs = `prv${tag}b`;
  const wgIf = `prwg${tag}`;
  const o2 = 64 + (randomBytes(1)[0] % 64);
  const o3 = randomBytes(1)[0];
  const rootAddr = `100.${o2}.${o3}.1`;
  const nsAddr = `100.${o2}.${o3}.2`;
  const wgListenPort = 30000 + (randomBytes(2).readUInt16BE() % 20000);
  const dir = mkdtempSync(join(tmpdir(), 'protocol-wg-'));
  let wgGo: ChildProcess | undefined;
  let crypto: Crypto;
  let wgPublic: Uint8Array;
  const nodes: Node[] = [];

  before(async () => {
    crypto = await createNativeCrypto();
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['link', 'add', vethRoot, 'type', 'veth', 'peer', 'name', vethNs]);
    await run('ip', ['link', 'set', vethNs, 'netns', ns]);
    await run('ip', ['addr', 'add', `${rootAddr}/30`, 'dev', vethRoot]);
    await run('ip', ['link', 'set', vethRoot, 'up']);
    await run('ip', ['-n', ns, 'addr', 'add', `${nsAddr}/30`, 'dev', vethNs]);
    await run('ip', ['-n', ns, 'link', 'set', vethNs, 'up']);
    await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);

    wgGo = spawn('ip', ['netns', 'exec', ns, 'wireguard-go', '-f', wgIf], { stdio: 'ignore' });
    const spawnError = new Promise<never>((_, reject) => wgGo?.once('error', reject));
    const sock = `/var/run/wireguard/${wgIf}.sock`;
    const ready = (async () => {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(existsSync(sock), `wireguard-go did not create ${sock}`);
    })();
    await Promise.race([ready, spawnError]);

    const wgPrivate = randomBytes(32);
    wgPublic = crypto.importPrivateKey(wgPrivate).publicKey;
    writeFileSync(join(dir, 'wg.key'), `${b64(wgPrivate)}\n`, { mode: 0o600 });
    await run('ip', ['netns', 'exec', ns, 'wg', 'set', wgIf, 'private-key', join(dir, 'wg.key'), 'listen-port', String(wgListenPort)]);
    await run('ip', ['-n', ns, 'addr', 'add', '10.99.0.2/24', 'dev', wgIf]);
    await run('ip', ['-n', ns, 'link', 'set', wgIf, 'up']);
  });

  after(async () => {
    for (const n of nodes) n.close();
    if (wgGo?.pid !== undefined && wgGo.exitCode === null) wgGo.kill('SIGTERM');
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
    await run('ip', ['link', 'del', vethRoot]).catch(() => undefined);
    rmSync(`/var/run/wireguard/${wgIf}.sock`, { force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  async function newNode(tunnelIp: string, presharedKey?: Uint8Array): Promise<{ node: Node; publicKey: Uint8Array }> {
    const key = randomBytes(32);
    const node = new Node(await bindSocket(rootAddr), crypto, key);
    nodes.push(node);
    const publicKey = node.device.publicKey as Uint8Array;
    const port = node.socket.address().port;
    const psk = presharedKey ? ['preshared-key', join(dir, `psk-${tunnelIp}`)] : [];
    if (presharedKey) writeFileSync(psk[1], `${b64(presharedKey)}\n`, { mode: 0o600 });
    await run('ip', ['netns', 'exec', ns, 'wg', 'set', wgIf, 'peer', b64(publicKey), ...psk, 'allowed-ips', `${tunnelIp}/32`, 'endpoint', `${rootAddr}:${port}`]);
    const endpoint = { address: parseIp(nsAddr) as IpEndpoint['address'], port: wgListenPort };
    node.apply(node.device.addPeer(1, { publicKey: wgPublic, endpoint, presharedKey }, now()).actions);
    return { node, publicKey };
  }

  it('completes a handshake as initiator and exchanges an ICMP echo both ways', async () => {
    const { node, publicKey } = await newNode('10.99.0.1');
    const peer = node.device.peer(1);
    assert.ok(peer);
    node.apply(peer.needHandshake(now()));
    await node.until('the handshake response', () => node.slots.current !== undefined);
    assert.equal(node.device.stats.responsesAccepted, 1);
    assert.equal(node.slots.current?.isInitiator, true);

    const payload = randomBytes(40);
    node.sendIp(icmpEcho(8, '10.99.0.1', '10.99.0.2', 0x1234, 1, payload));
    await node.until('the echo reply', () => node.received.some((p) => parseEcho(p)?.type === 0));
    const reply = parseEcho(node.received.find((p) => parseEcho(p)?.type === 0) as Uint8Array);
    assert.ok(reply);
    assert.deepEqual({ src: reply.src, dst: reply.dst, id: reply.id, seq: reply.seq }, { src: '10.99.0.2', dst: '10.99.0.1', id: 0x1234, seq: 1 });
    assert.deepEqual(Buffer.from(reply.payload), payload);

    const dump = (await wgDump(ns, wgIf)).find((p) => p.publicKey === b64(publicKey));
    assert.ok(dump);
    assert.ok(Math.abs(dump.latestHandshake - Date.now() / 1000) < 30, `latest handshake ${dump.latestHandshake}`);
    assert.ok(dump.rx >= 148 + 32 + 32 + 64, `rx ${dump.rx}`);
    assert.ok(dump.tx >= 92 + 32 + 64, `tx ${dump.tx}`);
    assert.equal(dump.endpoint, `${rootAddr}:${node.socket.address().port}`);
  });

  it('answers wireguard-go as responder (with a preshared key), confirms the session on its first data message, and answers its ping', async () => {
    const { node, publicKey } = await newNode('10.99.0.3', randomBytes(32));
    node.onPacket = (ip) => {
      const echo = parseEcho(ip);
      if (echo?.type === 8) node.sendIp(icmpEcho(0, echo.dst, echo.src, echo.id, echo.seq, echo.payload));
    };
    const ping = run('ip', ['netns', 'exec', ns, 'ping', '-c', '3', '-i', '0.3', '-W', '3', '10.99.0.3']);
    const { stdout } = await ping;
    assert.match(stdout, /3 packets transmitted, 3 received/);
    assert.equal(node.device.stats.initiationsAccepted, 1);
    assert.equal(node.slots.current?.isInitiator, false, 'our responder keypair was confirmed');
    assert.equal(node.slots.next, undefined);
    assert.equal(node.received.filter((p) => parseEcho(p)?.type === 8).length, 3);
    const dump = (await wgDump(ns, wgIf)).find((p) => p.publicKey === b64(publicKey));
    assert.ok(dump && dump.latestHandshake > 0 && dump.rx > 0 && dump.tx > 0, JSON.stringify(dump));
  });
});
