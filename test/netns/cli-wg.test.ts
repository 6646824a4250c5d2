// The compiled `viaguard` command against real daemons, its output compared byte for byte with
// the real `wg` (wireguard-tools 1.0.20210914) reading the same interface: a wireguard-go in a
// network namespace, and a daemon of fixed answers (handshake times, counters, extra keys) that
// wireguard-go cannot be made to give.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { keyFromBase64, keyToHex } from '../../src/config/keys.js';
import { Namespace } from '../../src/testing/netns.js';
import { UapiServer, type UapiHandler } from '../../src/uapi/server.js';
import { socketPath } from '../../src/uapi/socket-path.js';
import { requireRoot, runOk, uniqueName, type RunResult } from '../support/run.js';

const VIAGUARD = resolve('dist/src/cli/viaguard.js');

function viaguard(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<RunResult> {
  return runWith(process.execPath, [VIAGUARD, ...args], env, input);
}

function wg(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return runWith('wg', args, env);
}

/** Runs a command with WG_COLOR_MODE and WG_HIDE_KEYS unset unless env sets them. */
function runWith(command: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<RunResult> {
  const base = { ...process.env };
  delete base.WG_COLOR_MODE;
  delete base.WG_HIDE_KEYS;
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { encoding: 'utf8', timeout: 20_000, env: { ...base, ...env } }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`${command}: ${error.message}`));
      else resolve({ stdout, stderr, code: error ? (error.code as number) : 0 });
    });
    child.stdin!.on('error', () => undefined); // wg exits without reading stdin
    child.stdin!.end(input ?? '');
  });
}

async function viaguardOk(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<string> {
  const result = await viaguard(args, env, input);
  assert.equal(result.stderr, '', `viaguard ${args.join(' ')}`);
  assert.equal(result.code, 0, `viaguard ${args.join(' ')}`);
  return result.stdout;
}

async function keyPair(): Promise<{ privateKey: string; publicKey: string }> {
  const privateKey = (await runOk('wg', ['genkey'])).trim();
  return { privateKey, publicKey: (await runOk('wg', ['pubkey'], `${privateKey}\n`)).trim() };
}

/** wireguard-go lists peers in Go map order, different on every get: compare peers as a set. */
function peerOrderFree(text: string, kind: 'pretty' | 'lines' | 'dump'): string {
  if (kind === 'pretty') {
    const [head, ...peers] = text.split('\n\n');
    return [head, ...peers.map((peer) => peer.replace(/\n$/, '')).sort()].join('\n\n');
  }
  const lines = text.split('\n');
  return kind === 'dump' ? [lines[0], ...lines.slice(1).sort()].join('\n') : [...lines].sort().join('\n');
}

/**
 * Runs `wg ARGS`, `viaguard ARGS`, `wg ARGS` and expects viaguard to print what wg printed, when
 * both wg runs agree (the device did not change in between, e.g. a counter or the clock's second).
 */
async function assertSameAsWg(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; kind?: 'pretty' | 'lines' | 'dump' | 'exact'; ours?: (text: string) => string } = {},
): Promise<string> {
  const kind = options.kind ?? 'exact';
  const mine = options.ours ?? ((text: string) => text);
  const normal = (text: string) => (kind === 'exact' ? text : peerOrderFree(text, kind));
  // wg's relative times ("N seconds ago") move with the clock, and on a busy machine the three
  // commands can span a second boundary: ours must equal what wg printed just before or just
  // after it; where wg gave the same answer twice, exactly that answer.
  for (let attempt = 0; attempt < 10; attempt++) {
    const before = await wg(args, options.env);
    const ours = await viaguard(args, options.env);
    const after = await wg(args, options.env);
    assert.equal(before.code, 0, `wg ${args.join(' ')}: ${before.stderr}`);
    assert.equal(ours.stderr, '', `viaguard ${args.join(' ')}`);
    assert.equal(ours.code, 0);
    const text = normal(mine(ours.stdout));
    if (text === normal(before.stdout) || text === normal(after.stdout)) return ours.stdout;
    if (normal(before.stdout) === normal(after.stdout)) {
      assert.equal(text, normal(before.stdout), `viaguard ${args.join(' ')} differs from wg`);
    }
  }
  throw new Error(`wg ${args.join(' ')} never gave the same answer twice in a row, nor viaguard one of wg's`);
}

const FIELDS = ['public-key', 'private-key', 'listen-port', 'fwmark', 'peers', 'preshared-keys', 'endpoints', 'allowed-ips', 'latest-handshakes', 'persistent-keepalive', 'transfer'];

describe('cli: viaguard against wireguard-go, checked against wg', function () {
  this.timeout(60_000);
  let ns: Namespace | undefined;
  let iface: string;
  let dir: string;

  before(async () => {
    requireRoot();
    await runOk('wg', ['--version']);
    await runOk('wireguard-go', ['--version']);
    dir = mkdtempSync(join(tmpdir(), 'viaguard-cli-'));
    ns = await Namespace.create('cli');
    iface = uniqueName('cli');
    ns.spawn('wireguard-go', ['-f', iface], { ...process.env, LOG_LEVEL: 'error' });
    for (let i = 0; i < 200 && !existsSync(socketPath(iface)); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(socketPath(iface)), `wireguard-go did not create ${socketPath(iface)}`);
  });

  after(async () => {
    await ns?.destroy();
    if (iface && existsSync(socketPath(iface))) unlinkSync(socketPath(iface));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }

  it('sets one peer and prints every form exactly as wg', async () => {
    const device = await keyPair();
    const peer = await keyPair();
    const psk = (await runOk('wg', ['genpsk'])).trim();
    await viaguardOk(['set', iface, 'listen-port', '0', 'fwmark', '0x1234', 'private-key', file('priv', `${device.privateKey}\n`), 'peer', peer.publicKey, 'preshared-key', file('psk', psk), 'endpoint', '[2001:db8::7]:51820', 'persistent-keepalive', '3725', 'allowed-ips', '10.10.0.0/16, fd10::/64,::ffff:10.1.2.3/128,0.0.0.0/0']);
    const conf = (await runOk('wg', ['showconf', iface])).replace(/^ListenPort = \d+\n/m, '');
    assert.equal(conf, `[Interface]\nFwMark = 0x1234\nPrivateKey = ${device.privateKey}\n\n[Peer]\nPublicKey = ${peer.publicKey}\nPresharedKey = ${psk}\nAllowedIPs = 10.10.0.0/16, fd10::/64, ::ffff:10.1.2.3/128, 0.0.0.0/0\nEndpoint = [2001:db8::7]:51820\nPersistentKeepalive = 3725\n`);
    await assertSameAsWg(['show', iface]);
    await assertSameAsWg(['show', iface], { env: { WG_COLOR_MODE: 'always' } });
    await assertSameAsWg(['show', iface], { env: { WG_HIDE_KEYS: 'never' } });
    await assertSameAsWg(['show', iface, 'dump']);
    for (const field of FIELDS) await assertSameAsWg(['show', iface, field]);
    const shown = await assertSameAsWg(['showconf', iface]);
    assert.ok(shown.includes('AllowedIPs = 10.10.0.0/16, fd10::/64, '), 'showconf lists the allowed IPs');
    assert.match((await viaguardOk(['show', 'interfaces'])).trim().split(' ').join('\n'), new RegExp(`^${iface}$`, 'm'));
  });

  it('setconf, addconf and syncconf leave the device as wg\'s would', async () => {
    const [a, b, c] = [await keyPair(), await keyPair(), await keyPair()];
    const psk = (await runOk('wg', ['genpsk'])).trim();
    const first = file('first.conf', `[Interface]\nPrivateKey = ${a.privateKey}\nFwMark = 7\n\n[Peer]\nPublicKey = ${b.publicKey}\nPresharedKey = ${psk}\nAllowedIPs = 10.2.0.0/16\nEndpoint = 127.0.0.1:1\nPersistentKeepalive = 30\n\n[Peer]\nPublicKey = ${c.publicKey}\nAllowedIPs = 10.3.0.0/16, fd03::/48\n`);
    const more = file('more.conf', `[Peer]\nPublicKey = ${a.publicKey}\nAllowedIPs = 10.1.0.0/16\n`);
    const states: Record<string, string> = {};
    for (const tool of ['wg', 'viaguard'] as const) {
      const apply = (args: string[]) => (tool === 'wg' ? runOk('wg', args) : viaguardOk(args));
      await apply(['setconf', iface, first]);
      await apply(['addconf', iface, more]);
      // No ListenPort in the file: the daemon picks a new random port on each setconf.
      states[tool] = peerOrderFree((await runOk('wg', ['showconf', iface])).replace(/^ListenPort = \d+\n/m, ''), 'pretty');
    }
    assert.equal(states.viaguard, states.wg);
    await assertSameAsWg(['show', iface], { kind: 'pretty' });
    await assertSameAsWg(['show', iface, 'dump'], { kind: 'dump' });
    await assertSameAsWg(['show', iface, 'allowed-ips'], { kind: 'lines' });
    await assertSameAsWg(['showconf', iface], { kind: 'pretty' });

    // syncconf: the file's state, with what the file leaves out cleared (upstream wg since 2023
    // also clears a preshared key and keepalive; 1.0.20210914 leaves them).
    const next = file('next.conf', `[Interface]\nListenPort = 0\nPrivateKey = ${a.privateKey}\n\n[Peer]\nPublicKey = ${b.publicKey}\nAllowedIPs = 10.20.0.0/16\n`);
    await viaguardOk(['syncconf', iface, next]);
    const synced = (await runOk('wg', ['showconf', iface])).replace(/^ListenPort = \d+\n/m, '');
    assert.equal(synced, `[Interface]\nPrivateKey = ${a.privateKey}\n\n[Peer]\nPublicKey = ${b.publicKey}\nAllowedIPs = 10.20.0.0/16\nEndpoint = 127.0.0.1:1\n`);
  });

  it('syncconf keeps the session state of unchanged peers, setconf does not', async () => {
    const device = await keyPair();
    const peer = await keyPair();
    const conf = file('session.conf', `[Interface]\nPrivateKey = ${device.privateKey}\n\n[Peer]\nPublicKey = ${peer.publicKey}\nAllowedIPs = 10.77.0.2/32\nEndpoint = 127.0.0.1:9\n`);
    await viaguardOk(['setconf', iface, conf]);
    await ns!.exec('ip', ['addr', 'add', '10.77.0.1/24', 'dev', iface]);
    await ns!.exec('ip', ['link', 'set', iface, 'up']);
    // A packet for the peer makes wireguard-go send a handshake initiation: tx_bytes grows.
    await ns!.exec('ping', ['-c', '1', '-W', '1', '10.77.0.2']).catch(() => undefined);
    const sent = async () => Number((await viaguardOk(['show', iface, 'transfer'])).trim().split('\t')[2]);
    for (let i = 0; i < 50 && (await sent()) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const before = await sent();
    assert.ok(before > 0, 'wireguard-go sent a handshake initiation');
    await viaguardOk(['syncconf', iface, conf]);
    assert.ok((await sent()) >= before, 'syncconf kept the peer and its counters');
    await viaguardOk(['setconf', iface, conf]);
    assert.equal(await sent(), 0, 'setconf re-created the peer');
  });

  it('adds allowed IPs with +, and says clearly that this wireguard-go cannot remove one', async () => {
    const peer = await keyPair();
    await viaguardOk(['set', iface, 'peer', peer.publicKey, 'allowed-ips', '10.50.0.0/16']);
    await viaguardOk(['set', iface, 'peer', peer.publicKey, 'allowed-ips', '+10.51.0.0/16,+fd51::/64']);
    const line = (await viaguardOk(['show', iface, 'allowed-ips'])).split('\n').find((l) => l.startsWith(peer.publicKey));
    assert.equal(line, `${peer.publicKey}\t10.50.0.0/16 10.51.0.0/16 fd51::/64`);
    const refused = await viaguard(['set', iface, 'peer', peer.publicKey, 'allowed-ips', '-10.50.0.0/16']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^viaguard: interface \S+: the daemon refused the change: invalid argument \(EINVAL\); removing single allowed IPs .* needs a daemon that supports it .*\n$/);
  });

  it('fails with one line for bad input, as wg fails', async () => {
    const cases: [string[], RegExp][] = [
      [['show', uniqueName('nosuch')], /^viaguard: no such interface: nosuch\w+ \(no daemon listening on \/var\/run\/wireguard\/nosuch\w+\.sock\)\n$/],
      [['set', iface, 'listen-port', 'many'], /^viaguard: set: listen-port: expected a port 0-65535, got "many"\n$/],
      [['set', iface, 'peer', 'not-a-key'], /^viaguard: set: peer: expected a base64 public key/],
      [['setconf', iface, file('broken.conf', '[Interface]\nPrivateKey = short\n')], /^viaguard: \S+broken\.conf:2: PrivateKey: expected a base64 key of 32 bytes, got "short"\n$/],
      [['show', iface, 'handshakes'], /^viaguard: show: invalid parameter "handshakes"/],
      [['set', iface, 'source-check', 'off'], /^viaguard: interface \S+: the daemon refused the change: invalid argument \(EINVAL\); source-check\/SourceCheck is viaguard's own setting, which only viaguardd accepts\n$/],
    ];
    for (const [args, message] of cases) {
      const result = await viaguard(args);
      assert.equal(result.code, 1, args.join(' '));
      assert.equal(result.stdout, '');
      assert.match(result.stderr, message);
      assert.equal((await wg(args)).code === 0, false, `wg ${args.join(' ')} fails too`);
    }
    const user = await runWith('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, VIAGUARD, 'show', iface], {});
    assert.equal(user.code, 1);
    assert.equal(user.stderr, `viaguard: interface ${iface}: permission denied on /var/run/wireguard/${iface}.sock (run as root)\n`);
  });

  it('removes the socket of a daemon that died, as wg, and says so', async () => {
    // Only this namespace's wireguard-go, by its pid.
    for (const pid of (await runOk('ip', ['netns', 'pids', ns!.name])).split(/\s+/).filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    for (let i = 0; i < 50 && (await runOk('ip', ['netns', 'pids', ns!.name])).trim(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(socketPath(iface)), 'SIGKILL left the socket behind');
    const result = await viaguard(['show', iface]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `viaguard: interface ${iface}: its daemon is not running (removed the stale /var/run/wireguard/${iface}.sock)\n`);
    assert.ok(!existsSync(socketPath(iface)));
  });
});

/** A daemon that answers every get with the same lines and refuses every set. */
function fixedDaemon(lines: string[]): UapiHandler {
  return {
    get: () => lines,
    set: async () => {
      throw new Error('read-only');
    },
  };
}

describe('cli: viaguard and wg reading the same daemon of fixed answers', function () {
  this.timeout(60_000); // up to 10 retries of two CLI runs each: slow under the sanitizer build
  const hex = (b64: string) => keyToHex(keyFromBase64(b64)!);
  let server: UapiServer | undefined;
  let iface: string;
  let keys: { privateKey: string; peers: string[]; psk: string };

  before(async () => {
    requireRoot();
    await runOk('wg', ['--version']);
    keys = {
      privateKey: (await keyPair()).privateKey,
      peers: await Promise.all([1, 2, 3, 4].map(async () => (await keyPair()).publicKey)),
      psk: (await runOk('wg', ['genpsk'])).trim(),
    };
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  function lines(extra: { device?: string[]; peer?: string[] } = {}): string[] {
    const now = Math.floor(Date.now() / 1000);
    const peer = (index: number, fields: string[]) => [`public_key=${hex(keys.peers[index])}`, ...fields, ...(index === 1 ? (extra.peer ?? []) : [])];
    return [
      `private_key=${hex(keys.privateKey)}`,
      'listen_port=51820',
      'fwmark=4096',
      ...(extra.device ?? []),
      ...peer(0, [`preshared_key=${'0'.repeat(64)}`, 'last_handshake_time_sec=0', 'last_handshake_time_nsec=0', 'rx_bytes=0', 'tx_bytes=0', 'persistent_keepalive_interval=0']),
      ...peer(1, [`preshared_key=${hex(keys.psk)}`, 'endpoint=192.0.2.10:51820', `last_handshake_time_sec=${now - 3725}`, 'last_handshake_time_nsec=1', 'rx_bytes=1152', 'tx_bytes=987654321', 'persistent_keepalive_interval=25', 'allowed_ip=10.0.0.0/8', 'allowed_ip=::ffff:10.0.0.1/128']),
      ...peer(2, [`last_handshake_time_sec=${now - 400 * 86400}`, 'rx_bytes=1099511627776', 'tx_bytes=1', 'allowed_ip=fd00:1::/64', 'allowed_ip=::/0']),
      ...peer(3, [`last_handshake_time_sec=${now + 1000}`, 'endpoint=[fe80::1]:1', 'persistent_keepalive_interval=65535']),
    ];
  }

  it('prints handshakes, transfers, sorting and colours exactly as wg', async () => {
    iface = uniqueName('clif');
    server = await UapiServer.listen(iface, fixedDaemon(lines()));
    const pretty = await assertSameAsWg(['show', iface]);
    assert.match(pretty, /latest handshake: 1 hour, 2 minutes, \d+ seconds ago\n {2}transfer: 1\.12 KiB received, 941\.90 MiB sent\n/);
    assert.match(pretty, /latest handshake: 1 year, 35 days/);
    assert.match(pretty, /System clock wound backward/);
    await assertSameAsWg(['show', iface], { env: { WG_COLOR_MODE: 'always' } });
    await assertSameAsWg(['show', iface], { env: { WG_HIDE_KEYS: 'never', WG_COLOR_MODE: 'never' } });
    await assertSameAsWg(['show', iface, 'dump']);
    for (const field of FIELDS) await assertSameAsWg(['show', iface, field]);
    await assertSameAsWg(['showconf', iface]);
  });

  it('adds viaguard\'s keys after wg\'s lines, which wg itself skips', async () => {
    iface = uniqueName('clif');
    server = await UapiServer.listen(iface, fixedDaemon(lines({ device: ['source_check=route', 'peer_selection=route', 'route_table=main'], peer: ['mac_address=02:00:00:00:00:01'] })));
    const extras = /^ {2}(source check|peer selection|route table|mac address): .*\n/gm;
    const ours = await assertSameAsWg(['show', iface], { ours: (text) => text.replace(extras, '') });
    assert.match(ours, /^ {2}fwmark: 0x1000\n {2}source check: route\n {2}peer selection: route\n {2}route table: main\n\n/m);
    assert.match(ours, /persistent keepalive: every 25 seconds\n {2}mac address: 02:00:00:00:00:01\n/);
    const conf = await viaguardOk(['showconf', iface]);
    assert.match(conf, /^\[Interface\]\nPeerSelection = route\nSourceCheck = route\nListenPort = 51820\n/);
    assert.equal(conf.replace(/^(PeerSelection|SourceCheck) = .*\n/gm, ''), (await wg(['showconf', iface])).stdout);
    await assertSameAsWg(['show', iface, 'dump']);
  });
});
