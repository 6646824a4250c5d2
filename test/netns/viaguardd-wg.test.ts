// The real `wg` and `wg-quick` driving viaguardd. Configuration is checked differentially:
// the same commands go to a wireguard-go in the same namespace and both must read back alike.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect as connectUnix } from 'node:net';
import { join } from 'node:path';
import { connect, Namespace, run as runOk } from '../../src/testing/netns.js';
import { VIAGUARDD_PATH } from '../../src/testing/tunnel-pair.js';
import { requireRoot, run, uniqueName } from '../support/run.js';

async function keyPair(): Promise<{ privateKey: string; publicKey: string }> {
  const privateKey = (await runOk('wg', ['genkey'])).trim();
  const { stdout } = await run('wg', ['pubkey'], `${privateKey}\n`);
  return { privateKey, publicKey: stdout.trim() };
}

describe('wg and wg-quick on viaguardd', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    requireRoot();
    dir = mkdtempSync(join(tmpdir(), 'vgwg-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('wg show, showconf, set, setconf, addconf against wireguard-go', () => {
    let ns: Namespace;
    let ours: string;
    let theirs: string;
    const wg = (...args: string[]) => ns.exec('wg', args);
    const both = async (...args: string[]) => {
      await wg(...args.map((a) => (a === 'IF' ? ours : a)));
      await wg(...args.map((a) => (a === 'IF' ? theirs : a)));
    };
    /**
     * showconf without the listen port, which must differ between two interfaces, with peers
     * sorted (wireguard-go walks a Go map) and each peer's AllowedIPs sorted (wireguard-go lists
     * them in insertion order, viaguard by address).
     */
    const conf = async (ifname: string) => {
      const [device, ...peers] = (await wg('showconf', ifname))
        .trim()
        .replace(/^ListenPort = \d+\n/m, '')
        .replace(/^AllowedIPs = (.*)$/gm, (_, list: string) => `AllowedIPs = ${list.split(', ').sort().join(', ')}`)
        .split('\n\n');
      return [device, ...peers.sort()].join('\n\n');
    };
    /** dump columns that do not depend on traffic: keys, endpoint, allowed IPs, keepalive. */
    const dump = async (ifname: string) =>
      (await wg('show', ifname, 'dump'))
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split('\t'))
        .map((f) => [f[0], f[1], f[2], f[3].split(',').sort().join(','), f[7]].join(' '))
        .sort();
    const assertAlike = async () => {
      assert.equal(await conf(ours), await conf(theirs));
      assert.deepEqual(await dump(ours), await dump(theirs));
    };

    before(async () => {
      ns = await Namespace.create('vgwg');
      ours = uniqueName('vgo');
      theirs = uniqueName('vgt');
      await ns.exec(process.execPath, [VIAGUARDD_PATH, ours]);
      await ns.exec('wireguard-go', [theirs]);
    });
    after(async () => ns.destroy());

    it('sets a whole config with setconf and reads it back alike', async () => {
      const [device, a, b] = [await keyPair(), await keyPair(), await keyPair()];
      const psk = (await runOk('wg', ['genpsk'])).trim();
      const file = join(dir, 'setconf.conf');
      writeFileSync(
        file,
        [
          '[Interface]',
          `PrivateKey = ${device.privateKey}`,
          'FwMark = 0x1234',
          '[Peer]',
          `PublicKey = ${a.publicKey}`,
          `PresharedKey = ${psk}`,
          'AllowedIPs = 10.1.2.3/24, fd00:1::1/64, 192.168.7.7/32',
          'Endpoint = 192.0.2.7:51820',
          'PersistentKeepalive = 25',
          '[Peer]',
          `PublicKey = ${b.publicKey}`,
          'AllowedIPs = 10.9.0.0/16, ::/0',
          'Endpoint = [2001:db8::9]:4500',
          '',
        ].join('\n'),
      );
      await both('setconf', 'IF', file);
      await assertAlike();
      const text = await conf(ours);
      assert.match(text, /AllowedIPs = 10\.1\.2\.0\/24, 192\.168\.7\.7\/32, fd00:1::\/64/);
      assert.match(text, /FwMark = 0x1234/);
      assert.match(await wg('show', ours), /peer: .*\n {2}preshared key: \(hidden\)\n {2}endpoint: 192\.0\.2\.7:51820/);
    });

    it('changes peers with set: allowed-ips, keepalive, endpoint, remove; device fwmark and key', async () => {
      const peers = (await wg('show', ours, 'peers')).trim().split('\n');
      await both('set', 'IF', 'peer', peers[0], 'allowed-ips', '10.5.0.0/16,fd00:5::/48', 'persistent-keepalive', 'off', 'endpoint', '198.51.100.4:9');
      await assertAlike();
      await both('set', 'IF', 'fwmark', 'off', 'peer', peers[1], 'remove');
      await assertAlike();
      const key = join(dir, 'key');
      writeFileSync(key, `${(await keyPair()).privateKey}\n`, { mode: 0o600 });
      await both('set', 'IF', 'private-key', key);
      await assertAlike();
      assert.equal((await dump(ours)).length, 1);
    });

    it('adds with addconf and keeps what the file does not mention', async () => {
      const c = await keyPair();
      const file = join(dir, 'addconf.conf');
      writeFileSync(file, `[Peer]\nPublicKey = ${c.publicKey}\nAllowedIPs = 172.16.0.0/12\n`);
      await both('addconf', 'IF', file);
      await assertAlike();
      assert.equal((await dump(ours)).length, 2);
    });

    it('viaguard show, dump and showconf print what wg prints for viaguardd, plus its own keys', async () => {
      const viaguard = (...args: string[]) => ns.exec(process.execPath, [VIAGUARDD_PATH.replace(/viaguardd\.js$/, 'viaguard.js'), ...args]);
      assert.equal(await viaguard('show', ours, 'dump'), await wg('show', ours, 'dump'));
      assert.equal(await viaguard('show', ours, 'allowed-ips'), await wg('show', ours, 'allowed-ips'));
      const pretty = await viaguard('show', ours);
      assert.ok(pretty.startsWith((await wg('show', ours)).split('\n\n')[0].split('\n').slice(0, 4).join('\n')), pretty);
      assert.match(pretty, /source check: allowed-ips/);
      assert.equal((await viaguard('showconf', ours)).replace(/^SourceCheck = .*\n|^PeerSelection = .*\n/gm, ''), await wg('showconf', ours));
    });

    it('answers a bad set with errno=-22, applies none of it, and keeps the connection usable', async () => {
      const before = await wg('showconf', ours);
      const socket = connectUnix(`/var/run/wireguard/${ours}.sock`);
      let reply = '';
      socket.on('data', (d: Buffer) => (reply += d.toString()));
      const peer = (await keyPair()).publicKey;
      const hex = Buffer.from(peer, 'base64').toString('hex');
      socket.write(`set=1\nfwmark=5\npublic_key=${hex}\nallowed_ip=10.200.0.0/16\nallowed_ip=10.300.0.0/16\n\nget=1\n\n`);
      const deadline = Date.now() + 5000;
      while (!/errno=0\n\n$/.test(reply) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      socket.destroy();
      assert.match(reply, /^errno=-22\n\n/);
      assert.match(reply, /\nerrno=0\n\n$/);
      assert.doesNotMatch(reply, /fwmark=5|10\.200\.0\.0/);
      assert.equal(await wg('showconf', ours), before);
    });

    it('refuses a listen port in use with the daemon errno and changes nothing', async () => {
      const port = (await wg('show', theirs, 'listen-port')).trim();
      const before = await wg('showconf', ours);
      const result = await run('ip', ['netns', 'exec', ns.name, 'wg', 'set', ours, 'listen-port', port, 'fwmark', '77']);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /Address already in use/);
      assert.equal(await wg('showconf', ours), before);
    });
  });

  describe('wg-quick with WG_QUICK_USERSPACE_IMPLEMENTATION=viaguardd, and viaguard up/down', () => {
    let left: Namespace;
    let right: Namespace;
    let rightIf: string;
    let leftKeys: { privateKey: string; publicKey: string };
    let rightKeys: { privateKey: string; publicKey: string };

    before(async () => {
      left = await Namespace.create('vgql');
      right = await Namespace.create('vgqr');
      await connect(left, right, { a4: '192.0.2.1', b4: '192.0.2.2', a6: '2001:db8::1', b6: '2001:db8::2' });
      leftKeys = await keyPair();
      rightKeys = await keyPair();
      rightIf = uniqueName('vgqr');
      await right.exec('wireguard-go', [rightIf]);
      const key = join(dir, 'right.key');
      writeFileSync(key, `${rightKeys.privateKey}\n`, { mode: 0o600 });
      await right.exec('wg', ['set', rightIf, 'private-key', key, 'listen-port', '51820', 'peer', leftKeys.publicKey, 'allowed-ips', '10.77.0.1/32,fd77::1/128']);
      await right.exec('ip', ['addr', 'add', '10.77.0.2/24', 'dev', rightIf]);
      await right.exec('ip', ['addr', 'add', 'fd77::2/64', 'dev', rightIf, 'nodad']);
      await right.exec('ip', ['link', 'set', rightIf, 'up']);
      // An address "on the Internet" that only the full tunnel reaches.
      await right.exec('ip', ['addr', 'add', '198.51.100.1/32', 'dev', 'lo']);
    });
    after(async () => {
      await left.destroy();
      await right.destroy();
    });

    const VIAGUARD = VIAGUARDD_PATH.replace(/viaguardd\.js$/, 'viaguard.js');
    /** wg-quick with viaguardd as its userspace implementation, or viaguard's own up/down (viaguardd by default). */
    const tools = {
      'wg-quick': (verb: string, file: string) => ['env', `WG_QUICK_USERSPACE_IMPLEMENTATION=${VIAGUARDD_PATH}`, 'wg-quick', verb, file],
      viaguard: (verb: string, file: string) => [process.execPath, VIAGUARD, verb, file],
    };

    async function upDown(allowedIps: string, check: (ifname: string) => Promise<void>, tool: keyof typeof tools = 'wg-quick'): Promise<void> {
      const ifname = uniqueName('vgq');
      const file = join(dir, `${ifname}.conf`);
      writeFileSync(
        file,
        [
          '[Interface]',
          `PrivateKey = ${leftKeys.privateKey}`,
          'Address = 10.77.0.1/24, fd77::1/64',
          '[Peer]',
          `PublicKey = ${rightKeys.publicKey}`,
          `AllowedIPs = ${allowedIps}`,
          'Endpoint = 192.0.2.2:51820',
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      const up = await run('ip', ['netns', 'exec', left.name, ...tools[tool]('up', file)]);
      assert.equal(up.code, 0, up.stderr);
      if (tool === 'wg-quick') assert.match(up.stderr, /Missing WireGuard kernel module/);
      try {
        await check(ifname);
      } finally {
        const down = await run('ip', ['netns', 'exec', left.name, ...tools[tool]('down', file)]);
        assert.equal(down.code, 0, down.stderr);
      }
      const deadline = Date.now() + 5000;
      while (existsSync(`/var/run/wireguard/${ifname}.sock`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(!existsSync(`/var/run/wireguard/${ifname}.sock`), 'socket left behind');
      assert.equal((await runOk('ip', ['netns', 'pids', left.name])).trim(), '', 'daemon left behind');
      assert.notEqual((await run('ip', ['-n', left.name, 'link', 'show', ifname])).code, 0, 'link left behind');
    }

    it('brings a split tunnel up and down', async () => {
      await upDown('10.77.0.2/32, fd77::2/128', async (ifname) => {
        await left.exec('ping', ['-c', '2', '-W', '5', '10.77.0.2']);
        await left.exec('ping', ['-6', '-c', '2', '-W', '5', 'fd77::2']);
        assert.match(await left.exec('ip', ['route', 'get', '10.77.0.2']), new RegExp(`dev ${ifname}`));
        const elsewhere = await run('ip', ['-n', left.name, 'route', 'get', '198.51.100.1']);
        assert.ok(elsewhere.code !== 0 || !elsewhere.stdout.includes(`dev ${ifname}`), elsewhere.stdout);
      });
    });

    it('viaguard up/down does the same with viaguardd as its default daemon', async () => {
      await upDown(
        '10.77.0.2/32, fd77::2/128',
        async (ifname) => {
          await left.exec('ping', ['-c', '2', '-W', '5', '10.77.0.2']);
          assert.match(await left.exec('wg', ['show', ifname, 'listen-port']), /^\d+\n$/);
          const pids = (await runOk('ip', ['netns', 'pids', left.name])).trim().split(/\s+/);
          assert.ok(pids.some((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('viaguardd')), 'viaguardd serves the interface');
        },
        'viaguard',
      );
    });

    it('brings a full tunnel up and down: fwmark keeps the tunnel out of itself', async () => {
      await upDown('0.0.0.0/0, ::/0', async (ifname) => {
        assert.equal((await left.exec('wg', ['show', ifname, 'fwmark'])).trim(), '0xca6c');
        assert.match(await left.exec('ip', ['-4', 'rule']), /not from all fwmark 0xca6c lookup 51820/);
        assert.match(await left.exec('ip', ['route', 'get', '198.51.100.1']), new RegExp(`dev ${ifname}`));
        await left.exec('ping', ['-c', '2', '-W', '5', '198.51.100.1']);
        await left.exec('ping', ['-6', '-c', '2', '-W', '5', 'fd77::2']);
        const handshake = Number((await right.exec('wg', ['show', rightIf, 'latest-handshakes'])).trim().split('\t')[1]);
        assert.ok(handshake > 0, 'the peer saw a handshake through the fwmark bypass');
      });
      assert.doesNotMatch(await left.exec('ip', ['-4', 'rule']), /fwmark 0xca6c/);
    });
  });
});
