// End to end through the real data plane, without a handshake: two DataPlanes in this process,
// their TUN devices moved into two fresh namespaces, UDP over loopback in the root namespace,
// and a matching pair of keypairs installed by hand (A initiator, B responder).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { promisify } from 'node:util';
import { monotonicMs, type DataPlane, type DataPlaneCounters, type DataPlaneEvent, type PeerStats } from '../../src/native/dataplane.js';
import { createDataPlanePair, matchingKeypairs, type DataPlanePair } from '../../src/testing/dataplane-pair.js';
import type { Keypair } from '../../src/protocol/keypairs.js';
import { requireTools } from '../../src/testing/require-tools.js';
import { parsePrefix, type IpPrefix } from '../../src/net/ip.js';
import { cpuTicks } from '../../src/testing/proc-stat.js';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function sh(...args: string[]): string {
  return execFileSync(args[0], args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** CPU ticks (utime + stime) of this process's threads named name, and how many there are. */
function threadTicks(name: string): { threads: number; ticks: number } {
  let threads = 0;
  let ticks = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== name) continue;
      ticks += cpuTicks(`/proc/self/task/${tid}/stat`);
      threads++;
    } catch {
      // the thread exited while we looked
    }
  }
  return { threads, ticks };
}

/** A data message sealed with node:crypto (independent of the data plane's AEAD). */
function sealData(receiver: number, counter: bigint, key: Uint8Array, plaintext: Uint8Array): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32LE(4, 0);
  header.writeUInt32LE(receiver, 4);
  header.writeBigUInt64LE(counter, 8);
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64LE(counter, 4);
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  return Buffer.concat([header, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/**
 * The process's open descriptors (number → what it is), less pipes and /dev/null: those are the
 * stdio of the commands the tests run, which node opens and closes in its own time.
 */
function openFdsButPipes(): Map<string, string> {
  const fds = new Map<string, string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (!target.startsWith('pipe:') && target !== '/dev/null') fds.set(fd, target);
    } catch {
      // closed while we looked
    }
  }
  return fds;
}

describe('data plane end to end (netns)', function () {
  this.timeout(60000);
  const PEER = 7;
  const INDEX_A = 0x1234;
  const INDEX_B = 0xabcd0001;
  // Made in before(): a keypair is born when made, and one made when the file loads may be past
  // REJECT_AFTER_TIME by the time a long suite reaches these tests.
  let keypairA: Keypair;
  let keypairB: Keypair;
  const mac1Key = randomBytes(32);

  let pair: DataPlanePair | undefined;
  let fdsBefore = new Map<string, string>();
  let nsA = '';
  let nsB = '';
  let addrB = '';
  let addr6B = '';
  let strangerSource = '';
  let portA = 0;
  let portB = 0;
  let eventsA: DataPlaneEvent[] = [];
  let eventsB: DataPlaneEvent[] = [];

  const dpA = () => (pair as DataPlanePair).left.dp;
  const dpB = () => (pair as DataPlanePair).right.dp;
  const stats = (dp: DataPlane): PeerStats => {
    const row = dp.peerStats().find((s) => s.peer === PEER);
    assert.ok(row, 'peer row present');
    return row;
  };
  const delta = (after: DataPlaneCounters, before: DataPlaneCounters, key: keyof DataPlaneCounters) =>
    after[key] - before[key];

  before(async function () {
    assert.equal(process.getuid?.(), 0, 'netns tests run as root');
    requireTools('ip', 'ping', 'iperf3', 'python3', 'ss');
    fdsBefore = openFdsButPipes();
    ({ initiator: keypairA, responder: keypairB } = matchingKeypairs(INDEX_A, INDEX_B));
    pair = await createDataPlanePair(PEER);
    const { left, right } = pair;
    [nsA, nsB] = [left.ns.name, right.ns.name];
    [addrB, addr6B] = [right.tunnel4, right.tunnel6];
    strangerSource = left.tunnel4.replace(/\.0\.1$/, '.9.9');
    [portA, portB] = [left.port, right.port];
    [eventsA, eventsB] = [left.events, right.events];
    // B starts with a stale endpoint for A: A's first packet must move it (roaming).
    right.dp.setEndpoint(PEER, '::1', portA);
    right.dp.setMac1Key(mac1Key);
  });

  after(async function () {
    await pair?.destroy();
  });

  it('binds IPv4 and IPv6 UDP on one free port per data plane', function () {
    assert.ok(portA > 0 && portB > 0 && portA !== portB);
    assert.equal(dpA().port, portA);
    const listening = sh('ss', '-uln');
    assert.match(listening, new RegExp(`0\\.0\\.0\\.0:${portA}\\b`));
    assert.match(listening, new RegExp(`\\[::\\]:${portA}\\b`));
  });

  it('stages packets without a session (128, oldest dropped) and asks for one handshake', async function () {
    const before = dpA().counters();
    sh('ip', 'netns', 'exec', nsA, 'python3', '-c',
      `import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\nfor i in range(200): s.sendto(b'staged %d' % i, ('${addrB}', 9))`);
    await waitFor('200 packets staged or dropped', () => delta(dpA().counters(), before, 'droppedStagedOverflow') === 72);
    assert.equal(stats(dpA()).staged, 128);
    await sleep(100);
    assert.deepEqual(eventsA.filter((e) => e.type === 'needHandshake'), [{ type: 'needHandshake', peer: PEER }]);
  });

  it('installs keypairs like the kernel: the responder confirms on first data, staged packets flow', async function () {
    dpB().installKeypair(PEER, keypairB);
    assert.deepEqual(dpB().keypairs(PEER), { previous: null, current: null, next: INDEX_B });
    const before = dpB().counters();
    dpA().installKeypair(PEER, keypairA);
    assert.deepEqual(dpA().keypairs(PEER), { previous: null, current: INDEX_A, next: null });
    await waitFor('staged packets delivered', () => delta(dpB().counters(), before, 'dataPacketsReceived') >= 128);
    assert.equal(stats(dpA()).staged, 0);
    assert.deepEqual(dpB().keypairs(PEER), { previous: null, current: INDEX_B, next: null });
    await waitFor('events', () => eventsB.some((e) => e.type === 'endpointChanged'));
    assert.deepEqual(eventsB.find((e) => e.type === 'keypairConfirmed'), { type: 'keypairConfirmed', peer: PEER, localIndex: INDEX_B });
    assert.deepEqual(eventsB.find((e) => e.type === 'endpointChanged'), {
      type: 'endpointChanged', peer: PEER, address: '127.0.0.1', port: portA, localAddress: '127.0.0.1',
    });
  });

  it('pings across the tunnel over IPv4 and IPv6', function () {
    sh('ip', 'netns', 'exec', nsA, 'ping', '-c', '3', '-i', '0.2', '-W', '2', addrB);
    sh('ip', 'netns', 'exec', nsA, 'ping', '-6', '-c', '3', '-i', '0.2', '-W', '2', addr6B);
    const a1 = stats(dpA());
    const b1 = stats(dpB());
    assert.ok(a1.rxBytes > 0 && a1.txBytes > 0 && b1.rxBytes > 0 && b1.txBytes > 0);
    assert.ok(a1.lastDataReceivedMs > 0 && a1.lastAuthReceivedMs >= a1.lastDataReceivedMs);
  });

  it('carries UDP over an IPv6 endpoint too', function () {
    dpA().setEndpoint(PEER, '::1', portB);
    const before = stats(dpB()).rxBytes;
    sh('ip', 'netns', 'exec', nsA, 'ping', '-c', '2', '-i', '0.2', '-W', '2', addrB);
    assert.ok(stats(dpB()).rxBytes > before);
    dpA().setEndpoint(PEER, '127.0.0.1', portB);
  });

  it('pads data to a multiple of 16, bounded by the MTU', function () {
    // Every IPv4 echo request of 20 + 8 + payload bytes goes out as 16 + padded + 16 bytes.
    for (const [payload, message] of [[1, 64], [20, 80], [1392, 1452]]) {
      const before = stats(dpA()).txBytes;
      sh('ip', 'netns', 'exec', nsA, 'ping', '-c', '1', '-W', '2', '-s', String(payload), addrB);
      assert.equal(stats(dpA()).txBytes - before, message, `echo payload ${payload}`);
    }
  });

  it('pads within the MTU of the route to the destination when smaller (setRouteMtus)', function () {
    const sent = (payload: number) => {
      const before = stats(dpA()).txBytes;
      sh('ip', 'netns', 'exec', nsA, 'ping', '-c', '1', '-W', '2', '-s', String(payload), addrB);
      return stats(dpA()).txBytes - before;
    };
    const prefix = (cidr: number) => ({ ...(parsePrefix(`${addrB}/${cidr}`) as IpPrefix), cidr });
    // 1390 bytes of echo payload: a 1418-byte packet, padded to 1420 by the device MTU alone.
    assert.equal(sent(1390), 1452);
    try {
      // The longest prefix wins over a shorter one with a smaller MTU; its 1419 bounds the padding.
      dpA().setRouteMtus([{ prefix: prefix(24), mtu: 1000 }, { prefix: prefix(32), mtu: 1419 }]);
      assert.equal(sent(1390), 16 + 1419 + 16);
      assert.equal(sent(20), 80, 'small packets still pad to a multiple of 16');
      // Of two routes with the same prefix, the smaller MTU; a route MTU above the device's has no say.
      dpA().setRouteMtus([{ prefix: prefix(32), mtu: 1418 }, { prefix: prefix(32), mtu: 9000 }]);
      assert.equal(sent(1390), 16 + 1418 + 16);
      dpA().setRouteMtus([{ prefix: prefix(32), mtu: 9000 }]);
      assert.equal(sent(1390), 1452);
      dpA().setRouteMtus([{ prefix: prefix(32), mtu: 1419 }]);
      assert.throws(() => dpA().setRouteMtus([{ prefix: { ...prefix(32), cidr: 33 }, mtu: 1300 }]), RangeError);
      assert.throws(() => dpA().setRouteMtus([{ prefix: prefix(32), mtu: 0 }]), RangeError);
      assert.equal(sent(1390), 16 + 1419 + 16, 'a rejected table leaves the previous one');
    } finally {
      dpA().setRouteMtus([]);
    }
    assert.equal(sent(1390), 1452);
  });

  it('moves TCP at speed (iperf3) while garbage, truncated and replayed packets are dropped and counted', async function () {
    const server = run('ip', ['netns', 'exec', nsB, 'iperf3', '-s', '-1', '-B', addrB]);
    await sleep(500);
    const client = run('ip', ['netns', 'exec', nsA, 'iperf3', '-c', addrB, '-t', '4', '-J']);
    const before = dpB().counters();

    const socket: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const senderPort = socket.address().port;
    const send = (message: Uint8Array) =>
      new Promise<void>((resolve, reject) => socket.send(message, portB, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
    const initiation = randomBytes(148);
    initiation.writeUInt32LE(1, 0);
    const badMac = Buffer.from(initiation);
    const { blake2s } = await import('@noble/hashes/blake2.js');
    initiation.set(blake2s(initiation.subarray(0, 116), { key: mac1Key, dkLen: 16 }), 116);
    const unknownIndex = sealData(0xdeadbeef, 1n, keypairA.sendKey, Buffer.alloc(0));
    // A fresh counter, so the forgery is judged by its tag and not by the replay window.
    const forged = Buffer.from(sealData(INDEX_B, 1n << 62n, keypairA.sendKey, Buffer.alloc(0)));
    forged[20] ^= 1;
    // What cannot be a WireGuard message never reaches the data plane: the socket filter drops it in the kernel.
    const expected = { kernel: 0, badMac1: 0, unknownIndex: 0, auth: 0, replayed: 0 };
    for (let round = 0; round < 20; round++) {
      await send(randomBytes(1 + (round % 3))); // too short
      expected.kernel++;
      await send(Buffer.from([4, 0, 0, 0, 1, 2, 3])); // truncated data message
      expected.kernel++;
      await send(Buffer.concat([Buffer.from([1, 0, 0, 0]), randomBytes(50)])); // initiation of the wrong size
      expected.kernel++;
      await send(Buffer.concat([Buffer.from([9, 0, 0, 0]), randomBytes(60)]));
      expected.kernel++;
      await send(Buffer.concat([Buffer.from([4, 1, 0, 0]), randomBytes(60)])); // reserved bytes set
      expected.kernel++;
      await send(badMac);
      expected.badMac1++;
      await send(unknownIndex);
      expected.unknownIndex++;
      await send(forged);
      expected.auth++;
      // Counters 0..99 were all used by the staged flush: replays, well authenticated.
      await send(sealData(INDEX_B, BigInt(round), keypairA.sendKey, Buffer.alloc(0)));
      expected.replayed++;
    }
    await send(initiation);
    socket.close();

    const [serverOut, clientOut] = await Promise.all([server, client]);
    assert.ok(serverOut);
    const result = JSON.parse(clientOut.stdout) as { end: { sum_received: { bits_per_second: number } } };
    const mbits = result.end.sum_received.bits_per_second / 1e6;
    console.log(`      iperf3 TCP through the tunnel: ${mbits.toFixed(0)} Mbit/s`);
    assert.ok(mbits > 50, `throughput ${mbits} Mbit/s`);

    await waitFor('handshake event', () => eventsB.some((e) => e.type === 'handshake'));
    const after = dpB().counters();
    // At least: a full socket buffer under iperf3 would be counted there too.
    assert.ok(delta(after, before, 'droppedByKernel') >= expected.kernel, `${delta(after, before, 'droppedByKernel')} dropped in the kernel`);
    assert.equal(delta(after, before, 'droppedGarbage'), 0);
    assert.equal(delta(after, before, 'droppedUnknownType'), 0);
    assert.equal(delta(after, before, 'droppedBadMac1'), expected.badMac1);
    assert.equal(delta(after, before, 'droppedUnknownReceiverIndex'), expected.unknownIndex);
    assert.equal(delta(after, before, 'droppedAuthFailed'), expected.auth);
    assert.equal(delta(after, before, 'droppedReplayed'), expected.replayed);
    assert.equal(delta(after, before, 'handshakeMessagesReceived'), 1);
    const handshake = eventsB.find((e) => e.type === 'handshake');
    assert.ok(handshake && handshake.type === 'handshake');
    assert.deepEqual(new Uint8Array(handshake.message), new Uint8Array(initiation));
    assert.equal(handshake.address, '127.0.0.1');
    assert.equal(handshake.port, senderPort);
    // The tunnel still works after the storm.
    sh('ip', 'netns', 'exec', nsA, 'ping', '-c', '1', '-W', '2', addrB);
  });

  it('drops an inner source outside the peer\'s AllowedIPs, and accepts it with the check off', async function () {
    sh('ip', '-n', nsA, 'addr', 'add', `${strangerSource}/32`, 'dev', dpA().ifname);
    const before = dpB().counters();
    const peerBefore = stats(dpB()).sourceCheckDrops;
    const ping = () => {
      try {
        sh('ip', 'netns', 'exec', nsA, 'ping', '-c', '2', '-i', '0.2', '-W', '1', '-I', strangerSource, addrB);
      } catch {
        // no echo reply is expected: B has no route back to the stranger
      }
    };
    ping();
    assert.equal(delta(dpB().counters(), before, 'droppedSourceCheck'), 2);
    assert.equal(stats(dpB()).sourceCheckDrops - peerBefore, 2);
    // A sent data and heard nothing back (what arms the control plane's new-handshake timer).
    const unanswered = stats(dpA());
    assert.ok(unanswered.lastDataSentMs > unanswered.lastAuthReceivedMs);
    // A keepalive from B is an authenticated receive (not data), which stops that timer.
    dpB().sendKeepalive(PEER);
    await waitFor('keepalive at A', () => stats(dpA()).lastAuthReceivedMs >= unanswered.lastDataSentMs);
    const kept = stats(dpA());
    assert.ok(kept.lastAuthReceivedMs > kept.lastDataReceivedMs);
    dpB().setSourceCheck('off');
    const received = dpB().counters().dataPacketsReceived;
    ping();
    assert.equal(dpB().counters().droppedSourceCheck, before.droppedSourceCheck + 2);
    assert.ok(dpB().counters().dataPacketsReceived >= received + 2);
    dpB().setSourceCheck('allowed-ips');
  });

  it('ages sessions like the kernel: rekey after 120 s, reject after 180 s, last-minute rekey on receive', async function () {
    const needs = () => eventsA.filter((e) => e.type === 'needHandshake').length;
    const pingOnce = () => {
      try {
        sh('ip', 'netns', 'exec', nsA, 'ping', '-c', '1', '-W', '1', addrB);
        return true;
      } catch {
        return false;
      }
    };
    const install = (index: number, ages: { initiator?: number; responder?: number }) => {
      const now = monotonicMs();
      assert.ok(now > 200_000, 'the monotonic clock must be past 200 s');
      const keys = matchingKeypairs(index, index + 0x1000);
      dpB().installKeypair(PEER, { ...keys.responder, createdAt: now - (ages.responder ?? 0) });
      dpA().installKeypair(PEER, { ...keys.initiator, createdAt: now - (ages.initiator ?? 0) });
    };

    // Older than REKEY_AFTER_TIME: still used by the initiator, which asks for a new session.
    eventsA.splice(0);
    install(0x2001, { initiator: 121_000 });
    assert.ok(pingOnce());
    await waitFor('rekey request', () => needs() === 1);

    // Older than REJECT_AFTER_TIME: not used at all; packets wait for the next session.
    install(0x2002, { initiator: 181_000 });
    assert.equal(pingOnce(), false);
    assert.ok(stats(dpA()).staged >= 1);
    await waitFor('handshake request', () => needs() === 2);
    install(0x2003, {});
    await waitFor('staged packets sent', () => stats(dpA()).staged === 0);

    // The receiver refuses a session past REJECT_AFTER_TIME too.
    const expiredBefore = dpB().counters().droppedExpiredKey;
    install(0x2004, { responder: 181_000 });
    assert.equal(pingOnce(), false);
    assert.ok(dpB().counters().droppedExpiredKey > expiredBefore);

    // Past REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT, a received packet makes the
    // initiator ask once more (kernel keep_key_fresh on receive), and only once.
    install(0x2005, { initiator: 170_000 });
    eventsA.splice(0);
    dpA().sendKeepalive(PEER); // confirms B's keypair; A's send path asks for a rekey
    await waitFor('B confirmed', () => dpB().keypairs(PEER).current === 0x3005);
    await waitFor('send-side request', () => needs() === 1);
    await sleep(1100); // past the once-per-second limit of needHandshake events
    dpB().sendKeepalive(PEER);
    await waitFor('receive-side request', () => needs() === 2);
    await sleep(1100);
    const heard = stats(dpA()).lastAuthReceivedMs;
    dpB().sendKeepalive(PEER);
    await waitFor('keepalive received', () => stats(dpA()).lastAuthReceivedMs > heard);
    await sleep(100);
    assert.equal(needs(), 2);

    install(0x2006, {});
    assert.ok(pingOnce());
  });

  it('answers from the local address the peer reached (sticky source)', async function () {
    const roams = () => eventsA.filter((e) => e.type === 'endpointChanged');
    // A reaches B at 127.0.0.2 while B knows A at 127.0.0.1: B's replies must still come from
    // 127.0.0.2, or A would roam to B's default source address.
    dpA().setEndpoint(PEER, '127.0.0.2', portB);
    eventsA.splice(0);
    sh('ip', 'netns', 'exec', nsA, 'ping', '-c', '2', '-i', '0.2', '-W', '2', addrB);
    assert.deepEqual(roams(), []);
    // Told to answer from 127.0.0.1, B is seen there and A roams.
    dpB().setEndpoint(PEER, '127.0.0.1', portA, '127.0.0.1');
    dpB().sendKeepalive(PEER);
    await waitFor('A roams', () => roams().length === 1);
    assert.deepEqual(roams()[0], { type: 'endpointChanged', peer: PEER, address: '127.0.0.1', port: portB, localAddress: '127.0.0.1' });
    // A local address that is not ours: the kernel refuses it and B falls back to the default.
    dpB().setEndpoint(PEER, '127.0.0.1', portA, '192.0.2.77');
    const heard = stats(dpA()).lastAuthReceivedMs;
    dpB().sendKeepalive(PEER);
    await waitFor('keepalive despite the stale local address', () => stats(dpA()).lastAuthReceivedMs > heard);
    assert.equal(dpB().counters().droppedSendFailed, 0);
  });

  it('idles at ~0% CPU on its own threads', async function () {
    const start = threadTicks('viaguard-tx').ticks + threadTicks('viaguard-rx').ticks;
    assert.equal(threadTicks('viaguard-tx').threads, 2);
    assert.equal(threadTicks('viaguard-rx').threads, 2);
    const selfStart = cpuTicks('/proc/self/stat');
    await sleep(3000);
    const end = threadTicks('viaguard-tx').ticks + threadTicks('viaguard-rx').ticks;
    const processTicks = cpuTicks('/proc/self/stat') - selfStart;
    console.log(`      idle over 3 s: data plane threads ${end - start} ticks, whole process ${processTicks} ticks (100/s)`);
    assert.ok(end - start <= 1, `data plane threads used ${end - start} ticks while idle`);
  });

  it('reports "closed" when its interface is deleted', async function () {
    sh('ip', '-n', nsA, 'link', 'del', dpA().ifname);
    await waitFor('closed event', () => eventsA.some((e) => e.type === 'closed'));
    const closed = eventsA.find((e) => e.type === 'closed');
    assert.ok(closed && closed.type === 'closed' && closed.reason.length > 0);
  });

  it('close() joins its threads and closes every fd, and is idempotent', function () {
    dpA().close();
    dpB().close();
    dpA().close();
    assert.equal(threadTicks('viaguard-tx').threads, 0);
    assert.equal(threadTicks('viaguard-rx').threads, 0);
    assert.throws(() => dpA().bind(0), /closed/);
    const opened = [...openFdsButPipes()].filter(([fd, target]) => fdsBefore.get(fd) !== target);
    assert.deepEqual(opened, [], 'descriptors opened since the data planes were made are still open');
  });
});
