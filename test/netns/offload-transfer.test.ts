// TUN offloads end to end: random bytes sent through the tunnel with socat arrive byte-identical
// (sha256) over IPv4 and IPv6 inside, between two viaguardd and between viaguardd and
// wireguard-go (which sends and expects plain segments), at MTU 1280, 1420 and 9000, under a
// route with a smaller MTU, and through route mode's TAP (Ethernet frames). tcpdump on the tunnel interfaces shows the kernel really hands
// viaguardd super-packets and takes joined ones from it.
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { uniqueSuffix } from '../../src/testing/netns.js';
import { createRouteMesh, type RouteMesh } from '../../src/testing/route-mesh.js';
import { createTunnelPair, viaguardd, wireguardGo, type Implementation, type TunnelEnd, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import { waitFor } from '../support/quick-harness.js';

const MiB = 1024 * 1024;
const BIG = 256 * MiB;
const SMALL = 24 * MiB;

// One file of random bytes; transfers send a prefix of it, whose hash is known.
const source = { path: join(tmpdir(), `offload-${uniqueSuffix()}.bin`), hashes: new Map<number, string>() };

function writeSource(): void {
  const fd = openSync(source.path, 'w', 0o600);
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(MiB);
  try {
    for (let written = 0; written < BIG; written += MiB) {
      randomFillSync(chunk);
      writeSync(fd, chunk);
      hash.update(chunk);
      if (written + MiB === SMALL) source.hashes.set(SMALL, hash.copy().digest('hex'));
    }
  } finally {
    closeSync(fd);
  }
  source.hashes.set(BIG, hash.digest('hex'));
}

function output(child: ChildProcess): { stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { stdout: () => out, stderr: () => err, exit };
}

let nextPort = 20000 + Math.floor(Math.random() * 20000);

// Sends the first `bytes` of the source file from one end to the other over TCP and returns
// the receiver's sha256 of what arrived.
async function transfer(from: TunnelEnd, to: TunnelEnd, family: 4 | 6, bytes: number): Promise<string> {
  const port = nextPort++;
  const receiver = output(to.ns.spawn('sh', ['-c', `socat -u TCP${family}-LISTEN:${port},reuseaddr STDOUT | sha256sum`]));
  await waitFor(`socat listening on port ${port}`, async () => (await to.ns.exec('ss', ['-Hltn', `sport = :${port}`])).includes(`:${port}`), 10_000);
  const address = family === 4 ? to.tunnel4 : `[${to.tunnel6}]`;
  await from.ns.exec('sh', ['-c', `head -c ${bytes} ${source.path} | socat -u STDIN TCP${family}:${address}:${port},connect-timeout=20`]);
  const code = await receiver.exit;
  assert.equal(code, 0, `receiver failed: ${receiver.stderr()}`);
  return receiver.stdout().split(/\s/)[0];
}

async function setMtu(pair: TunnelPair, mtu: number): Promise<void> {
  for (const end of [pair.left, pair.right]) {
    // The underlay carries the tunnel's packets plus 80 bytes of IPv6, UDP and WireGuard.
    if (mtu > 1420) {
      const veth = (await end.ns.exec('ip', ['-o', 'link', 'show', 'type', 'veth'])).split(':')[1].trim().split('@')[0];
      await end.ns.exec('ip', ['link', 'set', 'dev', veth, 'mtu', String(mtu + 80)]);
    }
    await end.ns.exec('ip', ['link', 'set', 'dev', end.ifname, 'mtu', String(mtu)]);
  }
}

// Waits until tcpdump on end's tunnel interface has seen one TCP (UDP) packet longer than `bytes`.
async function watchForLongPacket(end: TunnelEnd, bytes: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<{ seen: Promise<number | null> }> {
  const capture = output(end.ns.spawn('timeout', ['60', 'tcpdump', '-i', end.ifname, '-n', '-c', '1', `${protocol} and greater ${bytes}`]));
  await waitFor(`tcpdump on ${end.ifname}`, () => capture.stderr().includes('listening on'), 10_000);
  return { seen: capture.exit };
}

// UDP datagrams whose bytes follow from their sequence number, so the receiver can tell a
// datagram the kernel cut wrongly out of a joined (USO) write from a good one.
const UDP_COUNT = 4000;
const UDP_SIZE = 1200;
const udpReceiver = (port: number, family: 4 | 6) => `
const socket = require('node:dgram').createSocket({ type: 'udp${family}', recvBufferSize: 16 << 20 });
let good = 0, bad = 0, timer;
const done = () => { console.log(JSON.stringify({ good, bad })); process.exit(0); };
socket.on('message', (m) => {
  const seq = m.length === ${UDP_SIZE} ? m.readUInt32BE(0) : -1;
  let ok = seq >= 0 && seq < ${UDP_COUNT};
  for (let i = 4; ok && i < m.length; i++) ok = m[i] === ((seq * 7 + i) & 0xff);
  ok ? good++ : bad++;
  clearTimeout(timer);
  timer = setTimeout(done, 1000);
});
socket.bind(${port}, () => console.error('listening'));`;
const udpSender = (address: string, port: number, family: 4 | 6) => `
const socket = require('node:dgram').createSocket('udp${family}');
let seq = 0;
const burst = () => {
  for (let k = 0; k < 20 && seq < ${UDP_COUNT}; k++, seq++) {
    const m = Buffer.alloc(${UDP_SIZE});
    m.writeUInt32BE(seq, 0);
    for (let i = 4; i < m.length; i++) m[i] = (seq * 7 + i) & 0xff;
    socket.send(m, ${port}, '${address}');
  }
  if (seq < ${UDP_COUNT}) setTimeout(burst, 2); else setTimeout(() => socket.close(), 200);
};
burst();`;

const pairs: Array<[Implementation, Implementation]> = [
  [viaguardd, viaguardd],
  [viaguardd, wireguardGo],
];

describe('TUN offloads: transfers arrive byte-identical (netns)', function () {
  this.timeout(600_000);

  before(() => writeSource());
  after(() => rmSync(source.path, { force: true }));

  pairs.forEach(([leftImpl, rightImpl], p) => {
    describe(`${leftImpl.label} <-> ${rightImpl.label}`, () => {
      let pair: TunnelPair;
      before(async () => {
        pair = await createTunnelPair(leftImpl, rightImpl, { index: 180 + p });
      });
      after(async () => {
        await pair?.destroy();
      });

      // Both directions where the two ends differ: viaguardd cuts what it sends and joins what
      // it receives, wireguard-go does neither.
      const directions = (): Array<[TunnelEnd, TunnelEnd]> =>
        rightImpl === leftImpl ? [[pair.left, pair.right]] : [[pair.left, pair.right], [pair.right, pair.left]];

      if (rightImpl === leftImpl) {
        it('gets super-packets from the kernel and hands joined ones back (tcpdump sees TCP longer than the MTU)', async () => {
          await setMtu(pair, 1420);
          const sent = await watchForLongPacket(pair.left, 3000);
          const received = await watchForLongPacket(pair.right, 3000);
          assert.equal(await transfer(pair.left, pair.right, 4, SMALL), source.hashes.get(SMALL));
          assert.equal(await sent.seen, 0, 'no TSO super-packet on the sending TUN');
          assert.equal(await received.seen, 0, 'no joined super-packet on the receiving TUN');
        });

        it('UDP datagrams joined into USO writes reach the socket intact, one by one', async () => {
          await setMtu(pair, 1420);
          for (const family of [4, 6] as const) {
            const port = nextPort++;
            const joined = await watchForLongPacket(pair.right, 3000, 'udp');
            const receiver = output(pair.right.ns.spawn(process.execPath, ['-e', udpReceiver(port, family)]));
            await waitFor('the UDP receiver', () => receiver.stderr().includes('listening'), 10_000);
            const address = family === 4 ? pair.right.tunnel4 : pair.right.tunnel6;
            await pair.left.ns.exec('ping', ['-c', '1', '-W', '5', address]); // a session first: nothing staged
            await pair.left.ns.exec(process.execPath, ['-e', udpSender(address, port, family)]);
            assert.equal(await receiver.exit, 0, receiver.stderr());
            const { good, bad } = JSON.parse(receiver.stdout()) as { good: number; bad: number };
            assert.equal(bad, 0, `IPv${family}: datagrams cut wrongly`);
            assert.equal(await joined.seen, 0, `IPv${family}: no USO write reached the TUN`);
            assert.ok(good > UDP_COUNT * 0.9, `IPv${family}: only ${good} of ${UDP_COUNT} datagrams arrived`);
          }
        });

        it(`MTU 1420: ${BIG / MiB} MiB over IPv4 and IPv6 inside`, async () => {
          await setMtu(pair, 1420);
          for (const family of [4, 6] as const) {
            assert.equal(await transfer(pair.left, pair.right, family, BIG), source.hashes.get(BIG), `IPv${family}`);
          }
        });

        it('a route with a smaller MTU (path MTU 1000) still carries both families', async () => {
          await setMtu(pair, 1420);
          const routes: Array<[string, string]> = [[`${pair.right.tunnel4}/32`, '-4'], [`${pair.right.tunnel6}/128`, '-6']];
          for (const [prefix, flag] of routes) {
            await pair.left.ns.exec('ip', [flag, 'route', 'add', prefix, 'dev', pair.left.ifname, 'mtu', 'lock', '1000']);
          }
          try {
            const small = await watchForLongPacket(pair.left, 3000);
            for (const family of [4, 6] as const) {
              assert.equal(await transfer(pair.left, pair.right, family, SMALL), source.hashes.get(SMALL), `IPv${family}`);
            }
            assert.equal(await small.seen, 0, 'TSO stays on under the smaller MTU');
          } finally {
            for (const [prefix, flag] of routes) {
              await pair.left.ns.exec('ip', [flag, 'route', 'del', prefix, 'dev', pair.left.ifname]);
            }
          }
        });
      }

      for (const mtu of [1280, 1420, 9000]) {
        it(`MTU ${mtu}: ${SMALL / MiB} MiB over IPv4 and IPv6 inside, ${rightImpl === leftImpl ? 'one way' : 'both ways'}`, async () => {
          await setMtu(pair, mtu);
          for (const [from, to] of directions()) {
            for (const family of [4, 6] as const) {
              const what = `IPv${family} ${from.impl.label} -> ${to.impl.label}`;
              assert.equal(await transfer(from, to, family, SMALL), source.hashes.get(SMALL), what);
            }
          }
        });
      }
    });
  });

  describe('route mode (TAP) viaguardd <-> wireguard-go', () => {
    let mesh: RouteMesh;
    before(async () => {
      mesh = await createRouteMesh(1, 'tapo');
    });
    after(async () => {
      await mesh?.destroy();
    });

    it(`${SMALL / MiB} MiB both ways over IPv4 and IPv6 inside, frames cut and joined on the TAP`, async () => {
      const a: TunnelEnd = { ns: mesh.a, ifname: mesh.ifname, tunnel4: '100.64.0.1', tunnel6: 'fd64::1', impl: viaguardd };
      const peer = mesh.peers[0];
      const b: TunnelEnd = { ns: peer.ns, ifname: peer.ifname, tunnel4: peer.tunnel4, tunnel6: peer.tunnel6, impl: wireguardGo };
      for (const [from, to] of [[a, b], [b, a]]) {
        const joined = await watchForLongPacket(a, 3000);
        for (const family of [4, 6] as const) {
          const what = `IPv${family} ${from.impl.label} -> ${to.impl.label}`;
          assert.equal(await transfer(from, to, family, SMALL), source.hashes.get(SMALL), what);
        }
        assert.equal(await joined.seen, 0, `no super-packet on the TAP (${from.impl.label} sending)`);
      }
    });
  });
});
