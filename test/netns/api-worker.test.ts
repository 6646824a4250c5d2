// Device.create runs the engine on a worker thread: an application whose main thread is blocked
// for 10 s keeps its tunnel answering pings from the other side, and `wg show` from another
// process keeps working.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Namespace, connect } from '../../src/testing/netns.js';
import { wgKeyPair } from '../../src/testing/tunnel-pair.js';
import { requireTools } from '../../src/testing/require-tools.js';
import { requireRoot, uniqueName } from '../support/run.js';

const BLOCKED_DEVICE = fileURLToPath(new URL('../support/blocked-device.js', import.meta.url));
const BLOCK_MS = 10_000;

describe('Device.create on its own worker thread (a blocked main thread stalls nothing)', function () {
  this.timeout(60_000);
  let a: Namespace | undefined;
  let b: Namespace | undefined;

  before(async () => {
    requireRoot();
    requireTools('ip', 'ping', 'wg', 'wireguard-go');
  });
  after(async () => {
    await a?.destroy();
    await b?.destroy();
  });

  it('answers pings and wg show while the application blocks its main thread for 10 s', async () => {
    a = await Namespace.create('vgwk');
    b = await Namespace.create('vgwk');
    await connect(a, b, { a4: '192.0.2.1', b4: '192.0.2.2', a6: '2001:db8::1', b6: '2001:db8::2' });
    const [aKeys, bKeys] = [wgKeyPair(), wgKeyPair()];
    const [aIf, bIf] = [uniqueName('vgwa'), uniqueName('vgwb')];
    await b.exec('wireguard-go', [bIf]);
    await b.exec('bash', ['-c', `wg set ${bIf} private-key <(echo ${bKeys.privateKey}) listen-port 51821 peer ${aKeys.publicKey} endpoint 192.0.2.1:51820 allowed-ips 10.64.0.1/32`]);
    await b.exec('ip', ['addr', 'add', '10.64.0.2/24', 'dev', bIf]);
    await b.exec('ip', ['link', 'set', bIf, 'up']);

    const app = a.spawn(process.execPath, [BLOCKED_DEVICE, aIf, aKeys.privateKey, bKeys.publicKey, '192.0.2.2:51821', '10.64.0.2/32', '10.64.0.1/24', String(BLOCK_MS)]);
    let out = '';
    app.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    app.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => app.on('exit', (code) => resolve(code)));
    while (!out.includes('ready')) {
      if (app.exitCode !== null) assert.fail(`the application ended: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const blockedAt = Date.now();

    // The other side initiates: the handshake and the replies come from the engine's thread.
    const ping = await b.exec('ping', ['-c', '5', '-i', '0.3', '-W', '3', '10.64.0.1']);
    assert.match(ping, /5 packets transmitted, 5 received/);
    const show = await a.exec('wg', ['show', aIf, 'latest-handshakes']);
    assert.notEqual(show.trim().split('\t')[1], '0', 'wg show from another process answers');
    const elapsed = Date.now() - blockedAt;
    assert.ok(elapsed < BLOCK_MS, `done within the block (${elapsed} ms)`);
    assert.doesNotMatch(out, /woke/, 'the main thread was still blocked');

    assert.equal(await exited, 0, out);
    assert.match(out, /ready\nwoke\n/);
  });
});
