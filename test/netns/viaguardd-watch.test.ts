// `viaguard watch` on a running viaguardd: every change made with the real wg shows up as one
// JSON line, and a watcher that stops reading gets a resync marker instead of growing memory.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Namespace } from '../../src/testing/netns.js';
import { VIAGUARDD_PATH } from '../../src/testing/tunnel-pair.js';
import { UapiClient } from '../../src/uapi/client.js';
import { requireRoot, run, uniqueName } from '../support/run.js';
import { assertMatchesSchema } from '../support/schemas.js';
import { untilWatching } from '../support/watch-ready.js';

const VIAGUARD = fileURLToPath(new URL('../../src/cli/viaguard.js', import.meta.url));

describe('viaguard watch on viaguardd', function () {
  this.timeout(60_000);
  let ns: Namespace;
  let ifname: string;

  before(async () => {
    requireRoot();
    ns = await Namespace.create('vgw');
    ifname = uniqueName('vgw');
    await ns.exec(process.execPath, [VIAGUARDD_PATH, ifname]);
  });
  after(async () => ns.destroy());

  it('prints peer, AllowedIPs and endpoint changes made by wg, one JSON object per line', async () => {
    const watcher = ns.spawn(process.execPath, [VIAGUARD, 'watch', ifname]);
    let out = '';
    watcher.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await untilWatching(() => out, (probe) => ns.exec('wg', ['set', ifname, 'peer', probe]));
    const key = (await run('wg', ['genkey'])).stdout.trim();
    const pub = (await run('wg', ['pubkey'], `${key}\n`)).stdout.trim();
    await ns.exec('wg', ['set', ifname, 'peer', pub, 'allowed-ips', '10.1.0.0/16,fd00:1::/64', 'endpoint', '192.0.2.9:51820']);
    await ns.exec(process.execPath, [VIAGUARD, 'set', ifname, 'peer', pub, 'allowed-ips', '+10.2.0.0/16']);
    await ns.exec('wg', ['set', ifname, 'peer', pub, 'remove']);
    const deadline = Date.now() + 5000;
    while (!out.includes('peer_removed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    watcher.kill('SIGINT');
    const all = out.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const e of all) assertMatchesSchema('watch-event', e);
    const events = all.filter((e) => e.public_key === pub);
    const names = events.map((e) => e.event);
    assert.deepEqual(names, ['peer_added', 'peer_changed', 'allowed_ips', 'allowed_ips', 'peer_removed']);
    assert.deepEqual(events[2].allowed_ips_added, ['10.1.0.0/16', 'fd00:1::/64']);
    assert.deepEqual(events[3].allowed_ips_added, ['10.2.0.0/16']);
    assert.ok(Math.abs(Number(events[0].time_unix_ms) - Date.now()) < 60_000, `time_unix_ms ${events[0].time_unix_ms}`);
  });

  it('fails with one clear line on a daemon without notifications', async () => {
    const other = uniqueName('vgw');
    await ns.exec('wireguard-go', [other]);
    const result = await run('ip', ['netns', 'exec', ns.name, process.execPath, VIAGUARD, 'watch', other]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `viaguard: interface ${other}: its daemon has no change notifications (watch needs viaguardd)\n`);
  });

  it('tells a watcher that stopped reading how many events it missed, and buffers a bounded amount for it', async () => {
    const quiet = uniqueName('vgw');
    await ns.exec(process.execPath, [VIAGUARDD_PATH, quiet]);
    const socket = connect(`/var/run/wireguard/${quiet}.sock`);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write('watch=1\n\n');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    while (!text.startsWith('errno=0\n\n')) await new Promise((r) => setTimeout(r, 10));
    socket.pause(); // a watcher that stops reading
    const peers = 4000;
    const lines: string[] = [];
    for (let i = 0; i < peers; i++) lines.push(`public_key=${(i + 1).toString(16).padStart(64, '0')}`, `allowed_ip=10.${i >> 8}.${i & 255}.0/24`);
    const client = new UapiClient(quiet);
    assert.equal(await client.set(lines), 0);
    assert.equal(await client.set(['replace_peers=true']), 0);
    const expected = peers * 3; // peer_added, allowed_ips, peer_removed
    socket.resume();
    const events = () => [...text.matchAll(/^event=(\w+)$/gm)].map((m) => m[1]);
    const dropped = () => [...text.matchAll(/^dropped=(\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    const deadline = Date.now() + 10_000;
    while (events().filter((e) => e !== 'resync').length + dropped() < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    const delivered = events().filter((e) => e !== 'resync').length;
    assert.ok(dropped() > 0, 'the daemon dropped events for the stalled watcher');
    assert.ok(events().includes('resync'));
    assert.equal(delivered + dropped(), expected, 'every event is delivered or counted as dropped');
    // What the daemon held for the watcher is its bound plus what the kernel's socket buffers took.
    assert.ok(delivered * 80 < 4 * 1024 * 1024, `delivered ${delivered} events while stalled`);
  });
});
