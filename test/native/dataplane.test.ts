// The data plane's pure pieces and its configuration surface, through the addon: BLAKE2s,
// argument checks, keypair slot rotation, mac1 filtering, sockets (rebind, fwmark), TUN
// adoption. Needs root for the TUN device (left down, in this namespace, uniquely named).
import assert from 'node:assert/strict';
import { availableParallelism, release } from 'node:os';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { blake2s as nobleBlake2s } from '@noble/hashes/blake2.js';
import { AllowedIps } from '../../src/native/allowedips.js';
import { loadNative } from '../../src/native/loader.js';
import { createTun, DATA_PLANE_COUNTERS, DataPlane, monotonicMs, type DataPlaneEvent } from '../../src/native/dataplane.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function socketLine(port: number): string {
  return execFileSync('ss', ['-uaneH', `sport = :${port}`], { encoding: 'utf8' });
}

async function sendUdp(port: number, messages: Uint8Array[]): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  for (const m of messages) {
    await new Promise<void>((resolve, reject) => socket.send(m, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }
  const local = socket.address().port;
  socket.close();
  return local;
}

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('native BLAKE2s (mac1)', () => {
  const { blake2s } = loadNative();

  it('matches RFC 7693 Appendix B: BLAKE2s-256("abc")', () => {
    assert.equal(
      hex(blake2s(new TextEncoder().encode('abc'), null, 32)),
      '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982',
    );
  });

  it('matches an independent implementation, keyed and not, across block boundaries', () => {
    for (const length of [0, 1, 31, 63, 64, 65, 116, 128, 129, 200, 1000]) {
      const data = randomBytes(length);
      for (const key of [null, randomBytes(32), randomBytes(7)]) {
        for (const out of [16, 32]) {
          const expected = nobleBlake2s(data, key ? { key, dkLen: out } : { dkLen: out });
          assert.equal(hex(blake2s(data, key, out)), hex(expected), `length ${length}, key ${key?.length ?? 0}, out ${out}`);
        }
      }
    }
  });

  it('rejects bad lengths', () => {
    assert.throws(() => blake2s(new Uint8Array(1), new Uint8Array(33), 16), RangeError);
    assert.throws(() => blake2s(new Uint8Array(1), null, 33), RangeError);
    assert.throws(() => blake2s(new Uint8Array(1), null, 0), RangeError);
  });
});

describe('DataPlane configuration', function () {
  const suffix = randomBytes(3).toString('hex');
  let dp: DataPlane;
  let ips: AllowedIps;
  const events: DataPlaneEvent[] = [];

  before(() => {
    ips = new AllowedIps();
    dp = new DataPlane({ tunName: `vgdpu${suffix}`, mtu: 1420, allowedIps: ips }, (e) => events.push(...e));
  });
  after(() => dp.close());

  it('reads CLOCK_MONOTONIC in milliseconds', () => {
    const t0 = monotonicMs();
    const uptimeMs = Number(execFileSync('cat', ['/proc/uptime'], { encoding: 'utf8' }).split(' ')[0]) * 1000;
    assert.ok(Math.abs(t0 - uptimeMs) < 5000, `monotonic ${t0} vs uptime ${uptimeMs}`);
    assert.ok(monotonicMs() >= t0);
  });

  it('takes every offload this kernel grants (IFF_VNET_HDR; USO from Linux 6.2)', () => {
    const [major, minor] = release().split('.').map(Number);
    const uso = major > 6 || (major === 6 && minor >= 2);
    assert.equal(dp.offloads, uso ? 'csum tso4 tso6 tso_ecn uso4 uso6' : 'csum tso4 tso6 tso_ecn (refused: csum tso4 tso6 tso_ecn uso4 uso6: Invalid argument)');
  });

  it('runs one crypto thread per usable CPU by default, or as many as asked, on every AEAD path', () => {
    assert.equal(dp.cryptoThreads, availableParallelism());
    const three = new DataPlane({ tunName: `vgdpt${suffix}`, mtu: 1420, threads: 3, allowedIps: new AllowedIps() }, () => {});
    try {
      assert.equal(three.cryptoThreads, 3);
    } finally {
      three.close();
    }
    for (const threads of [0, 1.5, 257, Number.NaN]) {
      assert.throws(() => new DataPlane({ tunName: `vgdpt${suffix}`, mtu: 1420, threads, allowedIps: ips }, () => {}), RangeError, String(threads));
    }
    const { DataPlane: Native } = loadNative();
    assert.throws(() => new Native({ tunName: `vgdpt${suffix}`, mtu: 1420, threads: 0 }, ips.native, () => {}), RangeError);
  });

  it('names its interface and checks its arguments', () => {
    assert.equal(dp.ifname, `vgdpu${suffix}`);
    assert.throws(() => dp.addPeer(0), RangeError);
    assert.throws(() => dp.addPeer(1.5), RangeError);
    assert.throws(() => dp.addPeer('1' as unknown as number), TypeError);
    assert.throws(() => dp.setMtu(100), RangeError);
    assert.throws(() => dp.bind(70000), RangeError);
    assert.throws(() => dp.setMac1Key(new Uint8Array(31)), RangeError);
    assert.throws(() => dp.setSourceCheck('strict' as 'off'), RangeError);
    assert.throws(() => dp.setEndpoint(5, '1.2.3.4', 1), /unknown peer 5/);
    dp.addPeer(5);
    assert.throws(() => dp.addPeer(5), /already exists/);
    assert.throws(() => dp.setEndpoint(5, 'example.com', 1), RangeError);
    assert.throws(() => dp.setEndpoint(5, '1.2.3.4', 0), RangeError);
    assert.throws(() => dp.setEndpoint(5, '1.2.3.4', 1, '::1'), /same family/);
    assert.throws(() => dp.sendTo('::1', 1, new Uint8Array(1), 'nonsense'), RangeError);
    assert.throws(
      () => dp.installKeypair(5, { localIndex: 1, remoteIndex: 2, sendKey: new Uint8Array(32), receiveKey: new Uint8Array(16), isInitiator: true, createdAt: monotonicMs() }),
      RangeError,
    );
    const keys = { localIndex: 1, remoteIndex: 2, sendKey: new Uint8Array(32), receiveKey: new Uint8Array(32), isInitiator: true, createdAt: monotonicMs() };
    assert.throws(() => dp.installKeypair(5, { ...keys, createdAt: monotonicMs() + 60_000 }), /past monotonicMs/);
    assert.throws(() => dp.installKeypair(5, { ...keys, createdAt: Number.NaN }), RangeError);
    assert.throws(() => new DataPlane({ mtu: 1420, allowedIps: ips }, () => {}), TypeError);
    for (const rekeyAfterMessages of [0, 1.5, 2 ** 53]) {
      assert.throws(() => new DataPlane({ tunName: 'vgx', mtu: 1420, allowedIps: ips, rekeyAfterMessages }, () => {}), RangeError);
    }
    assert.throws(() => new DataPlane({ tunName: 'x'.repeat(16), mtu: 1420, allowedIps: ips }, () => {}), RangeError);
    // The native side checks too, for callers that bypass the wrapper.
    const { DataPlane: Native } = loadNative();
    assert.throws(() => new Native({ tunName: 'vgx', mtu: 1 }, ips.native, () => {}), RangeError);
    assert.throws(() => new Native({ tunName: 'vgx', mtu: 1420 }, {} as never, () => {}), TypeError);
    assert.ok(dp.removePeer(5));
    assert.equal(dp.removePeer(5), false);
  });

  it('rotates keypair slots exactly like the kernel (add_new_keypair, received_with_keypair)', () => {
    const install = (localIndex: number, isInitiator: boolean) =>
      dp.installKeypair(9, { localIndex, remoteIndex: localIndex + 1000, sendKey: randomBytes(32), receiveKey: randomBytes(32), isInitiator, createdAt: monotonicMs() });
    dp.addPeer(9);
    assert.deepEqual(dp.keypairs(9), { previous: null, current: null, next: null });
    install(1, true);
    assert.deepEqual(dp.keypairs(9), { previous: null, current: 1, next: null });
    install(2, true);
    assert.deepEqual(dp.keypairs(9), { previous: 1, current: 2, next: null });
    install(3, false); // responder: waits in next and drops previous
    assert.deepEqual(dp.keypairs(9), { previous: null, current: 2, next: 3 });
    install(4, false); // a newer responder keypair replaces the unconfirmed one
    assert.deepEqual(dp.keypairs(9), { previous: null, current: 2, next: 4 });
    install(5, true); // initiator with a pending next: next becomes previous, current is dropped
    assert.deepEqual(dp.keypairs(9), { previous: 4, current: 5, next: null });
    // Evicted indices are free again; held ones are not.
    install(1, false);
    assert.throws(() => install(5, true), /already in use/);
    assert.deepEqual(dp.keypairs(9), { previous: null, current: 5, next: 1 });
    assert.equal(dp.removeKeypair(5), true);
    assert.equal(dp.removeKeypair(5), false);
    assert.deepEqual(dp.keypairs(9), { previous: null, current: null, next: 1 });
    dp.clearKeypairs(9);
    assert.deepEqual(dp.keypairs(9), { previous: null, current: null, next: null });
    install(1, true); // cleared indices are free
    assert.ok(dp.removePeer(9));
    assert.throws(() => dp.keypairs(9), /unknown peer/);
  });

  it('binds one port for IPv4 and IPv6 (v6only), rebinds, and marks its sockets', async () => {
    const first = dp.bind(0);
    assert.equal(dp.port, first);
    dp.setFwmark(0xca6c);
    let line = socketLine(first);
    assert.match(line, new RegExp(`0\\.0\\.0\\.0:${first} .*fwmark:0xca6c`));
    assert.match(line, new RegExp(`\\[::\\]:${first} .*fwmark:0xca6c.*v6only:1`));
    const second = dp.bind(0);
    assert.notEqual(second, first);
    assert.equal(socketLine(first), '');
    line = socketLine(second);
    assert.match(line, /fwmark:0xca6c/, 'the mark survives a rebind');
    dp.setFwmark(0);
    assert.doesNotMatch(socketLine(second), /fwmark/);
    // The receive thread listens on the new sockets; what cannot be a WireGuard message is
    // dropped by the kernel (the socket filter) and counted there.
    const before = dp.counters();
    const data = Buffer.alloc(32);
    data.writeUInt32LE(4, 0);
    await sendUdp(second, [Buffer.from([9, 0, 0, 0, 0]), Buffer.from([4, 1, 0, 0]), data]);
    await waitFor('garbage counted', () => dp.counters().droppedByKernel === before.droppedByKernel + 2);
    await waitFor('the data message seen', () => dp.counters().droppedUnknownReceiverIndex === before.droppedUnknownReceiverIndex + 1);
    assert.equal(dp.counters().droppedUnknownType, before.droppedUnknownType);
  });

  it('splits datagrams that UDP GRO joined (and a UDP_SEGMENT sender sent as one)', async () => {
    const before = dp.counters().droppedUnknownReceiverIndex;
    // 10 data messages of 100 bytes and a last one of 50, for no keypair: each must be counted.
    execFileSync('python3', ['-c', [
      'import socket',
      's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      's.setsockopt(socket.SOL_UDP, 103, 100)  # UDP_SEGMENT',
      "m = (b'\\x04\\x00\\x00\\x00' + bytes(96)) * 10 + b'\\x04\\x00\\x00\\x00' + bytes(46)",
      `s.sendto(m, ('127.0.0.1', ${dp.port}))`,
    ].join('\n')]);
    await waitFor('11 messages counted', () => dp.counters().droppedUnknownReceiverIndex === before + 11);
  });

  it('hands handshake messages with a valid mac1 to JS and drops the rest', async () => {
    const port = dp.port;
    const mac1Key = randomBytes(32);
    const response = randomBytes(92);
    response.writeUInt32LE(2, 0);
    response.set(nobleBlake2s(response.subarray(0, 60), { key: mac1Key, dkLen: 16 }), 60);
    const cookie = randomBytes(64);
    cookie.writeUInt32LE(3, 0);
    const before = dp.counters();
    await sendUdp(port, [response]); // no mac1 key yet: refused
    await waitFor('refused', () => dp.counters().droppedBadMac1 === before.droppedBadMac1 + 1);
    dp.setMac1Key(mac1Key);
    const source = await sendUdp(port, [response, cookie]);
    await waitFor('two handshake events', () => events.filter((e) => e.type === 'handshake').length === 2);
    const [first, second] = events.filter((e) => e.type === 'handshake');
    const from = { address: '127.0.0.1', port: source, localAddress: '127.0.0.1' };
    assert.deepEqual(first, { type: 'handshake', message: response, ...from });
    assert.deepEqual(second, { type: 'handshake', message: cookie, ...from });
    dp.setMac1Key(null);
    await sendUdp(port, [response]);
    await waitFor('refused again', () => dp.counters().droppedBadMac1 === before.droppedBadMac1 + 2);
    assert.equal(dp.counters().handshakeMessagesReceived, before.handshakeMessagesReceived + 2);
  });

  /** Sends count copies of message from each of the sources (127.0.0.0/8 addresses), round-robin, while this thread is blocked. */
  function burst(message: Buffer, sources: string[], count: number): void {
    execFileSync('python3', ['-c', [
      'import socket, time',
      `sources = ${JSON.stringify(sources)}`,
      'sockets = []',
      'for a in sources:',
      '    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      '    s.bind((a, 0))',
      '    sockets.append(s)',
      `m = bytes.fromhex('${message.toString('hex')}')`,
      `for i in range(${count}):`,
      '    for s in sockets: s.sendto(m, (\'127.0.0.1\', ' + dp.port + '))',
      'time.sleep(0.5)',
    ].join('\n')]);
  }

  it('rate-limits one source\'s handshakes once 128 are queued for JS (kernel ratelimiter.c: 20/s, burst 5)', async () => {
    const cookie = Buffer.alloc(64);
    cookie.writeUInt32LE(3, 0);
    const before = dp.counters();
    const handshakesBefore = events.filter((e) => e.type === 'handshake').length;
    burst(cookie, ['127.0.0.1'], 5000);
    await waitFor('every message accounted for', () => {
      const c = dp.counters();
      return c.handshakeMessagesReceived - before.handshakeMessagesReceived + c.droppedHandshakeRateLimited - before.droppedHandshakeRateLimited === 5000;
    });
    const received = dp.counters().handshakeMessagesReceived - before.handshakeMessagesReceived;
    await waitFor('the events', () => events.filter((e) => e.type === 'handshake').length - handshakesBefore === received);
    const queued = received;
    // 128 until the load is noticed, then the source's burst, then 20/s while the burst lasts.
    assert.ok(queued >= 128 + 5 && queued <= 128 + 5 + 20 * 3, `queued ${queued}`);
    assert.equal(dp.counters().droppedHandshakeBacklog, before.droppedHandshakeBacklog);
    const last = events[events.length - 1];
    assert.ok(last.type === 'handshake' && last.underLoad === true, 'handshakes past the limit are marked under load');
  });

  it('bounds the handshake messages queued for JS at 4096 (kernel MAX_QUEUED_INCOMING_HANDSHAKES)', async () => {
    const cookie = Buffer.alloc(64);
    cookie.writeUInt32LE(3, 0);
    await sleep(1100); // the last test's load is over, its buckets idle
    const before = dp.counters();
    const handshakesBefore = events.filter((e) => e.type === 'handshake').length;
    // 1000 sources, 5 each: within every source's burst, so only the queue bound drops.
    const sources = Array.from({ length: 1000 }, (_, i) => `127.0.${2 + (i >> 8)}.${i & 255}`);
    burst(cookie, sources, 5);
    await waitFor('the queued messages', () => events.filter((e) => e.type === 'handshake').length === handshakesBefore + 4096);
    const after = dp.counters();
    assert.equal(after.handshakeMessagesReceived - before.handshakeMessagesReceived, 5000);
    assert.equal(after.droppedHandshakeBacklog - before.droppedHandshakeBacklog, 904);
    assert.equal(after.droppedHandshakeRateLimited, before.droppedHandshakeRateLimited);
  });

  it('reports every counter it documents', () => {
    assert.deepEqual(Object.keys(dp.counters()), [...DATA_PLANE_COUNTERS]);
  });

  it('sends handshakes to the endpoint and counts them; sendTo reaches any address', async () => {
    const receiver = createSocket('udp6');
    const got: Buffer[] = [];
    receiver.on('message', (m) => got.push(m));
    await new Promise<void>((resolve) => receiver.bind(0, '::1', resolve));
    dp.addPeer(11);
    assert.equal(dp.sendHandshake(11, new Uint8Array(148)), false, 'no endpoint yet');
    dp.setEndpoint(11, '::1', receiver.address().port);
    const t0 = monotonicMs();
    assert.equal(dp.sendHandshake(11, new Uint8Array(148).fill(1)), true);
    assert.equal(dp.sendTo('::1', receiver.address().port, new Uint8Array(64).fill(3)), true);
    await waitFor('two datagrams', () => got.length === 2);
    receiver.close();
    assert.deepEqual([...got[0]], new Array(148).fill(1));
    assert.deepEqual([...got[1]], new Array(64).fill(3));
    const row = dp.peerStats().find((s) => s.peer === 11);
    assert.ok(row);
    assert.equal(row.txBytes, 148);
    assert.ok(row.lastAuthSentMs >= t0 && row.lastDataSentMs === 0);
    // A keepalive without a session asks for a handshake instead.
    dp.sendKeepalive(11);
    await waitFor('needHandshake', () => events.some((e) => e.type === 'needHandshake' && e.peer === 11));
    dp.removePeer(11);
  });

  it('removePeer drops the peer\'s AllowedIPs too', () => {
    dp.addPeer(12);
    ips.insert('10.1.2.0/24', 12);
    ips.insert('fd00::/64', 12);
    assert.equal(ips.lookup('10.1.2.3'), 12);
    dp.removePeer(12);
    assert.equal(ips.lookup('10.1.2.3'), 0);
    assert.equal(ips.count(), 0);
  });

  it('adopts a TUN fd made by createTun, then closes it; every call after close() throws', () => {
    const tun = createTun(`vgdpf${suffix}`);
    assert.equal(tun.name, `vgdpf${suffix}`);
    const adopted = new DataPlane({ tunFd: tun.fd, mtu: 1280, allowedIps: new AllowedIps() }, () => {});
    assert.equal(adopted.ifname, tun.name);
    assert.match(execFileSync('ip', ['link', 'show', tun.name], { encoding: 'utf8' }), /mtu 1280/);
    adopted.close();
    adopted.close();
    assert.throws(() => fstatSync(tun.fd), /EBADF/);
    assert.throws(() => adopted.addPeer(1), /closed/);
    assert.throws(() => adopted.counters(), /closed/);
    // Closing the last fd of a non-persistent TUN removes the interface.
    assert.throws(() => execFileSync('ip', ['link', 'show', tun.name], { stdio: 'pipe' }));
    // A descriptor that is not a TUN device is refused and stays the caller's.
    const notTun = openSync('/dev/null', 'r');
    assert.throws(() => new DataPlane({ tunFd: notTun, mtu: 1420, allowedIps: new AllowedIps() }, () => {}), /TUNGETIFF/);
    closeSync(notTun);
  });
});
