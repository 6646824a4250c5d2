import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatWatchEvent, WatchEventParser, WatchStream, type WatchEvent } from '../../src/uapi/watch.js';
import { assertMatchesSchema } from '../support/schemas.js';
import { watchEventJson } from '../../src/uapi/watch-json.js';

describe('uapi/watch', () => {
  it('writes events as key=value blocks and reads them back', () => {
    const events: WatchEvent[] = [
      { name: 'peer_added', fields: [['public_key', 'ab'.repeat(32)]] },
      { name: 'allowed_ips', fields: [['public_key', 'cd'.repeat(32)], ['added', '1'], ['removed', '0'], ['allowed_ip', '+10.0.0.0/8']] },
      { name: 'resync', fields: [['dropped', '7']] },
    ];
    const text = events.map(formatWatchEvent).join('');
    assert.equal(text.split('\n\n').length, 4);
    assert.ok(text.startsWith('event=peer_added\npublic_key='));
    const read: WatchEvent[] = [];
    const parser = new WatchEventParser((e) => read.push(e));
    for (const line of text.split('\n').slice(0, -1)) parser.line(line);
    assert.deepEqual(read, events);
    assert.throws(() => formatWatchEvent({ name: 'x', fields: [['bad key', '1']] }), RangeError);
    assert.throws(() => new WatchEventParser(() => undefined).line('public_key=00'), /must start with event=/);
  });

  it('turns events into JSON with base64 keys, numbers and prefix lists', () => {
    const json = watchEventJson(
      { name: 'allowed_ips', fields: [['public_key', '00'.repeat(32)], ['added', '2'], ['removed', '1'], ['allowed_ip', '+10.0.0.0/8'], ['allowed_ip', '+fd00::/8'], ['allowed_ip', '-192.0.2.0/24']] },
      1_800_000_000_123,
    );
    assertMatchesSchema('watch-event', json);
    assert.deepEqual(json, {
      time_unix_ms: 1_800_000_000_123,
      event: 'allowed_ips',
      public_key: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      added: 2,
      removed: 1,
      allowed_ips_added: ['10.0.0.0/8', 'fd00::/8'],
      allowed_ips_removed: ['192.0.2.0/24'],
    });
  });

  it('never buffers more than its bound for a watcher that does not read, then says how much it dropped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'watch-'));
    const path = join(dir, 's.sock');
    let serverSide: Socket | undefined;
    const server = createServer((s) => (serverSide = s));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client = connect(path);
    await new Promise<void>((resolve) => client.once('connect', resolve));
    while (!serverSide) await new Promise((r) => setTimeout(r, 5));
    client.pause();
    const bound = 64 * 1024;
    const stream = new WatchStream(serverSide, bound);
    const event: WatchEvent = { name: 'peer_changed', fields: [['public_key', 'ee'.repeat(32)]] };
    const sent = 20000;
    for (let i = 0; i < sent; i++) stream.send(event);
    assert.ok(serverSide.writableLength <= bound + formatWatchEvent(event).length, `buffered ${serverSide.writableLength}`);
    let received = '';
    client.on('data', (d: Buffer) => (received += d.toString()));
    client.resume();
    const deadline = Date.now() + 5000;
    while (!received.includes('event=resync') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const delivered = received.split('event=peer_changed').length - 1;
    const dropped = Number(/event=resync\ndropped=(\d+)/.exec(received)?.[1]);
    assert.equal(delivered + dropped, sent);
    assert.ok(dropped > 0);
    client.destroy();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
