// viaguardd's process contract, the one wg-quick relies on with wireguard-go: it returns once
// the interface and the UAPI socket exist, refuses clearly, and goes away cleanly.
import assert from 'node:assert/strict';
import { existsSync, unlinkSync } from 'node:fs';
import { Namespace, run as runOk } from '../../src/testing/netns.js';
import { VIAGUARDD_PATH } from '../../src/testing/tunnel-pair.js';
import { requireRoot, run, uniqueName } from '../support/run.js';

const socket = (ifname: string) => `/var/run/wireguard/${ifname}.sock`;

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('viaguardd lifecycle', function () {
  this.timeout(30_000);
  let ns: Namespace;
  let ifname: string;

  const start = (...args: string[]) => run('ip', ['netns', 'exec', ns.name, process.execPath, VIAGUARDD_PATH, ...args]);
  const linkExists = async () => (await run('ip', ['-n', ns.name, 'link', 'show', ifname])).code === 0;
  const daemons = async () => (await runOk('ip', ['netns', 'pids', ns.name])).split(/\s+/).filter(Boolean).length;

  before(() => requireRoot());
  beforeEach(async () => {
    ns = await Namespace.create('vgd');
    ifname = uniqueName('vgd');
  });
  afterEach(async () => ns.destroy());

  it('daemonizes and returns once the interface and the UAPI socket exist', async () => {
    const result = await start(ifname);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.ok(existsSync(socket(ifname)));
    assert.ok(await linkExists());
    assert.equal(await daemons(), 1);
    const show = await runOk('ip', ['netns', 'exec', ns.name, 'wg', 'show', ifname, 'listen-port']);
    assert.match(show, /^\d+\n$/);
  });

  it('exits 1 with one clear line when the name is invalid, the interface is taken, permission is missing or the AEAD path does not exist', async () => {
    const long = await start('a-name-too-long-for-linux');
    assert.equal(long.code, 1);
    assert.match(long.stderr, /^viaguardd: not a valid interface name: "a-name-too-long-for-linux" .*\n$/);

    assert.equal((await start(ifname)).code, 0);
    const again = await start(ifname);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, `viaguardd: interface ${ifname} is already served by a running daemon\n`);
    assert.equal(await daemons(), 1);

    const other = uniqueName('vgd');
    const unprivileged = await run('ip', ['netns', 'exec', ns.name, 'setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, VIAGUARDD_PATH, other]);
    assert.equal(unprivileged.code, 1);
    assert.match(unprivileged.stderr, /^viaguardd: .*(permission|not permitted|EACCES|EPERM).*\n$/i);
    assert.equal(unprivileged.stderr.split('\n').length, 2, unprivileged.stderr);
    assert.ok(!existsSync(socket(other)));

    const badAead = await run('ip', ['netns', 'exec', ns.name, 'env', 'VIAGUARD_AEAD=rot13', process.execPath, VIAGUARDD_PATH, other]);
    assert.equal(badAead.code, 1);
    assert.match(badAead.stderr, /^viaguardd: VIAGUARD_AEAD: 'rot13' is not an AEAD path available here \(have: [a-z, -]+\)\n$/);
    assert.ok(!existsSync(socket(other)));
    assert.notEqual((await run('ip', ['-n', ns.name, 'link', 'show', other])).code, 0, 'the interface outlived the failed start');
    assert.equal(await daemons(), 1);
  });

  it('exits and removes its socket on SIGTERM', async () => {
    assert.equal((await start(ifname)).code, 0);
    const pid = Number((await runOk('ip', ['netns', 'pids', ns.name])).trim());
    process.kill(pid, 'SIGTERM');
    await until('the daemon is gone', async () => (await daemons()) === 0);
    assert.ok(!existsSync(socket(ifname)));
    assert.ok(!(await linkExists()));
  });

  it('leaves nothing after SIGKILL that blocks the next start: the stale socket is replaced', async () => {
    assert.equal((await start(ifname)).code, 0);
    await runOk('ip', ['netns', 'exec', ns.name, 'wg', 'set', ifname, 'listen-port', '51999']);
    const pid = Number((await runOk('ip', ['netns', 'pids', ns.name])).trim());
    process.kill(pid, 'SIGKILL');
    await until('the daemon is gone', async () => (await daemons()) === 0);
    assert.ok(existsSync(socket(ifname)), 'SIGKILL leaves the socket file behind');
    const again = await start(ifname);
    assert.equal(again.code, 0, again.stderr);
    // The same port is free again, and the new daemon answers on the replaced socket.
    await runOk('ip', ['netns', 'exec', ns.name, 'wg', 'set', ifname, 'listen-port', '51999']);
    assert.equal(await runOk('ip', ['netns', 'exec', ns.name, 'wg', 'show', ifname, 'listen-port']), '51999\n');
  });

  it('exits and removes its socket when the interface is deleted', async () => {
    assert.equal((await start(ifname)).code, 0);
    await runOk('ip', ['-n', ns.name, 'link', 'delete', ifname]);
    await until('the daemon is gone', async () => (await daemons()) === 0);
    assert.ok(!existsSync(socket(ifname)));
  });

  it('exits and removes its interface when its socket file is deleted', async () => {
    assert.equal((await start(ifname)).code, 0);
    unlinkSync(socket(ifname));
    await until('the daemon is gone', async () => (await daemons()) === 0);
    assert.ok(!(await linkExists()));
  });

  it('stays in the foreground with -f and logs one line per event with LOG_LEVEL=verbose', async () => {
    const child = ns.spawn(process.execPath, [VIAGUARDD_PATH, '-f', ifname], { ...process.env, LOG_LEVEL: 'verbose' });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await until('the socket exists', () => existsSync(socket(ifname)));
    await runOk('ip', ['netns', 'exec', ns.name, 'wg', 'set', ifname, 'listen-port', '0', 'peer', 'hRjbaT1ltRGFjTT3aPQhWM1ItiGHOg0p7pCcULM8YGM=', 'allowed-ips', '10.0.0.2/32']);
    assert.equal(child.exitCode, null);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.ok(!existsSync(socket(ifname)));
    const lines = stderr.trim().split('\n');
    for (const line of lines) assert.match(line, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z (DEBUG|ERROR) \\(${ifname}\\) \\S`));
    assert.ok(lines.some((l) => l.includes('peer 1 (hRjbaT1l…) created')), stderr);
    assert.ok(lines.some((l) => l.includes('shutting down: SIGINT')), stderr);
  });
});
