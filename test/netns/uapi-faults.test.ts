// viaguardd's UAPI socket against abusive clients: a thousand at once, one trickling its request
// a byte at a time, one sending 100 MiB without a newline. Memory stays bounded, the abuser gets
// a clear errno, and every other client is served meanwhile.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { Namespace } from '../../src/testing/netns.js';
import { daemonPid, residentBytes, VIAGUARDD_PATH, viaguardd } from '../../src/testing/tunnel-pair.js';
import { requireRoot, uniqueName } from '../support/run.js';

const MiB = 2 ** 20;

function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads until the reply's terminating blank line (or the connection closes). */
function reply(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (/errno=-?\d+\n\n$/.test(text)) done();
    };
    const done = () => {
      socket.off('data', onData);
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('end', done);
    socket.once('error', reject);
  });
}

async function request(path: string, text: string): Promise<string> {
  const socket = await open(path);
  try {
    const answer = reply(socket);
    socket.write(text);
    return await answer;
  } finally {
    socket.destroy();
  }
}

const write = (socket: Socket, data: string | Buffer) => new Promise<void>((resolve, reject) => socket.write(data, (e) => (e ? reject(e) : resolve())));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('UAPI socket under abusive clients', function () {
  this.timeout(120_000);
  let ns: Namespace;
  let path: string;
  let pid: number;

  before(async () => {
    requireRoot();
    ns = await Namespace.create('vgua');
    const ifname = uniqueName('vgua');
    await ns.exec(process.execPath, [VIAGUARDD_PATH, ifname]);
    path = `/var/run/wireguard/${ifname}.sock`;
    pid = await daemonPid({ ns, ifname, impl: viaguardd, tunnel4: '', tunnel6: '' });
  });
  after(async () => ns?.destroy());

  it('answers 1,000 concurrent connections, every one', async () => {
    const sockets = await Promise.all(Array.from({ length: 1000 }, () => open(path)));
    try {
      const answers = await Promise.all(
        sockets.map((socket) => {
          const answer = reply(socket);
          socket.write('get=1\n\n');
          return answer;
        }),
      );
      const bad = answers.filter((a) => !/^listen_port=\d+\n(.*\n)*errno=0\n\n$/.test(a));
      assert.equal(bad.length, 0, `${bad.length} bad answers, e.g. ${JSON.stringify(bad[0])}`);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  it('serves others while a client trickles its request a byte at a time, then answers it', async () => {
    const slow = await open(path);
    try {
      const slowAnswer = reply(slow);
      const text = 'set=1\nlisten_port=0\n\n';
      for (const [i, byte] of [...text].entries()) {
        await write(slow, byte);
        if (i === 8) {
          const started = Date.now();
          assert.match(await request(path, 'get=1\n\n'), /errno=0\n\n$/);
          assert.ok(Date.now() - started < 2000, 'another client waited behind the slow one');
        }
        await sleep(20);
      }
      assert.equal(await slowAnswer, 'errno=0\n\n');
    } finally {
      slow.destroy();
    }
  });

  it('refuses a 100 MiB line with EPROTO, holding no more than 16 MiB for it, serving others meanwhile', async () => {
    const idle = residentBytes(pid);
    let peak = idle;
    const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(pid))), 50);
    const abuser = await open(path);
    try {
      let answer = '';
      abuser.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      const closed = new Promise((resolve) => abuser.once('close', resolve));
      abuser.on('error', () => undefined); // EPIPE once the daemon hangs up: expected
      await write(abuser, 'set=1\n');
      const chunk = Buffer.alloc(MiB, 'a');
      let sent = 0;
      const flood = (async () => {
        try {
          for (; sent < 100; sent++) await write(abuser, chunk);
        } catch {
          // the daemon refused the rest
        }
      })();
      assert.match(await request(path, 'get=1\n\n'), /errno=0\n\n$/, 'others are served meanwhile');
      await flood;
      await closed;
      assert.equal(answer, 'errno=-71\n\n', `after ${sent} MiB`);
      assert.match(await request(path, 'get=1\n\n'), /errno=0\n\n$/);
    } finally {
      clearInterval(sampler);
      abuser.destroy();
    }
    assert.ok(peak - idle < 16 * MiB, `resident memory grew ${((peak - idle) / MiB).toFixed(1)} MiB`);
  });
});
