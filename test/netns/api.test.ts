// The programmatic API and the CI helpers, run as users run them: the README's examples are
// these files, executed here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Device, DeviceError } from '../../src/index.js';
import { Namespace, run as runOk } from '../../src/testing/netns.js';
import { requireRoot, run, uniqueName } from '../support/run.js';

const root = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const README = readFileSync(root('README.md'), 'utf8');
/** The namespaces throwaway tunnels make (createTunnelPair names them vgl-… and vgr-…). */
const namespaces = async () =>
  (await runOk('ip', ['netns', 'list']))
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((name) => /^vg[lr]-/.test(name));

describe('programmatic API and CI helpers', function () {
  this.timeout(60_000);
  before(() => requireRoot());

  it('the README shows examples/device.ts and examples/ci-tunnel.test.ts verbatim', () => {
    for (const file of ['examples/device.ts', 'examples/ci-tunnel.test.ts']) {
      assert.ok(README.includes(readFileSync(root(file), 'utf8').trim()), `${file} is in the README`);
    }
  });

  it('runs the README example: create, add a peer, change AllowedIPs incrementally, events, status, close', async () => {
    const ns = await Namespace.create('vgapi');
    try {
      const ifname = uniqueName('vgapi');
      const out = await ns.exec(process.execPath, [root('dist/examples/device.js'), ifname]);
      const lines = out.trim().split('\n');
      assert.deepEqual(lines.filter((l) => l.startsWith('event')).map((l) => l.split(' ')[1]), [
        'peer_added', 'peer_changed', 'allowed_ips', 'allowed_ips', 'allowed_ips', 'peer_removed',
      ]);
      assert.ok(lines.includes('refused: not an IP prefix: "10.300.0.0/16"'));
      assert.match(out, new RegExp(`^${ifname} HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw= port \\d+$`, 'm'));
      assert.ok(lines.includes('peer xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg= 192.0.2.1:51820 allowed ips 10.1.0.0/16, fd00:1::/64'));
      assert.equal((await run('ip', ['-n', ns.name, 'link', 'show', ifname])).code, 1, 'close() removed the interface');
    } finally {
      await ns.destroy();
    }
  });

  it('attaches to a running wireguard-go: typed changes, status, DeviceError with the errno, an error event for notifications', async () => {
    const ns = await Namespace.create('vgapi');
    const ifname = uniqueName('vgapi');
    try {
      await ns.exec('wireguard-go', [ifname]);
      const device = await Device.attach(ifname);
      const peer = Buffer.alloc(32, 7);
      await device.configure({ listenPort: 0, privateKey: Buffer.alloc(32, 1).toString('base64') });
      await device.addPeer({ publicKey: peer, allowedIps: ['10.9.0.0/16'], persistentKeepalive: 0 });
      await device.addAllowedIps(peer, ['10.10.0.0/16']);
      const status = await device.status();
      assert.equal(status.peers.length, 1);
      assert.deepEqual(status.peers[0].allowedIps.sort(), ['10.10.0.0/16', '10.9.0.0/16']);
      await assert.rejects(device.removeAllowedIps(peer, ['10.9.0.0/16']), (e: unknown) => e instanceof DeviceError && e.errno === -22);
      await assert.rejects(device.updatePeer({ publicKey: Buffer.alloc(32, 9), endpoint: '192.0.2.1:1' }), /no peer/);
      await assert.rejects(device.addPeer({ publicKey: 'not a key' }), /publicKey: expected a base64 key/);
      const failed = new Promise<Error>((resolve) => device.once('error', resolve));
      device.on('event', () => undefined);
      assert.match((await failed).message, /no event stream/);
      await device.removePeer(peer);
      assert.equal((await device.status()).peers.length, 0);
      await device.close();
    } finally {
      await ns.destroy();
    }
  });

  it('runs the README CI recipe with mocha, and leaves no namespace behind', async () => {
    const before = await namespaces();
    const result = await run(process.execPath, [root('node_modules/mocha/bin/mocha.js'), '--no-config', root('dist/examples/ci-tunnel.test.js')]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /1 passing/);
    assert.deepEqual(await namespaces(), before);
  });

  it('tears a throwaway tunnel down when the process is interrupted', async () => {
    const before = await namespaces();
    const script = `
      import { createThrowawayTunnel } from ${JSON.stringify(root('dist/src/testing/index.js'))};
      await createThrowawayTunnel();
      console.log('up');
      setInterval(() => {}, 1000);`;
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('up') && resolve()));
    assert.equal((await namespaces()).length, before.length + 2);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 143);
    assert.deepEqual(await namespaces(), before);
  });
});
