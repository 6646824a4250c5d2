import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { loadNative } from '../../src/native/loader.js';
import type { NativeSystemError } from '../../src/native/native.js';
import { RTM } from '../../src/netlink/constants.js';
import { linkGetBody } from '../../src/netlink/link.js';
import { splitMessages } from '../../src/netlink/message.js';
import { openNetlinkSocket } from '../../src/netlink/socket.js';
import { WireWriter } from '../../src/netlink/wire.js';

describe('native netlink socket', () => {
  it('validates its arguments in C++ and in the wrapper', () => {
    const { NetlinkSocket } = loadNative();
    const raw = NetlinkSocket as unknown as new (...args: unknown[]) => unknown;
    assert.throws(() => new raw('x', undefined, () => {}), TypeError);
    assert.throws(() => new raw([0], undefined, () => {}), RangeError);
    assert.throws(() => new raw([], 5, () => {}), TypeError);
    assert.throws(() => new raw([], undefined, 'cb'), TypeError);
    assert.throws(() => openNetlinkSocket({ groups: [1.5] }, () => {}), RangeError);
    assert.throws(() => openNetlinkSocket({ netnsPath: 'relative/ns' }, () => {}), TypeError);
  });

  it('reports a missing namespace as ENOENT', () => {
    assert.throws(
      () => openNetlinkSocket({ netnsPath: '/var/run/netns/netlink-does-not-exist-4711' }, () => {}),
      (err: NativeSystemError) => err.code === 'ENOENT' && /open network namespace/.test(err.message),
    );
  });

  it('sends a request and delivers the reply on the event loop', async () => {
    const replies: Uint8Array[] = [];
    let done: () => void = () => {};
    const got = new Promise<void>((resolve) => (done = resolve));
    const socket = openNetlinkSocket({}, (error, datagrams) => {
      assert.equal(error, null);
      replies.push(...datagrams);
      done();
    });
    try {
      assert.ok(socket.portId > 0);
      assert.throws(() => socket.send(new Uint8Array(8)), RangeError);
      assert.throws(() => (socket.send as (d: unknown) => void)('abc'), TypeError);
      socket.send(new WireWriter().message(RTM.GETLINK, 1, 1, linkGetBody({ index: 1 })).finish());
      await got;
      const [reply] = splitMessages(replies[0]);
      assert.equal(reply.type, RTM.NEWLINK);
      assert.equal(reply.seq, 1);
    } finally {
      socket.close();
      socket.close();
    }
    assert.throws(() => socket.send(new Uint8Array(16)), /closed/);
  });

  it('lets a worker exit with sockets still open and polling', async () => {
    const monitorUrl = new URL('../../src/netlink/monitor.js', import.meta.url).href;
    const clientUrl = new URL('../../src/netlink/client.js', import.meta.url).href;
    const worker = new Worker(
      `const { RtnlMonitor } = await import(${JSON.stringify(monitorUrl)});
       const { RtnlClient } = await import(${JSON.stringify(clientUrl)});
       new RtnlMonitor({ groups: ['link'] });
       const links = await new RtnlClient().listLinks();
       process.exit(links.length > 0 ? 7 : 1);`,
      { eval: true },
    );
    const code = await new Promise<number>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', resolve);
    });
    assert.equal(code, 7);
  });
});
