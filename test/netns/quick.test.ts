// `viaguard up`/`down` for real: runUp/runDown run inside fresh network namespaces (through
// the viaguard command under `ip netns exec`, as the viaguard command runs them), with
// Debian's wireguard-go as the daemon, checked with ip(8) -j, wg(8) and ping.
// Privileged: needs root, ip, wg, wireguard-go, ping, bash; fails (never skips) without them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPrefix } from '../../src/net/ip.js';
import { parseWgConfig } from '../../src/config/wg-config.js';
import { connect } from '../../src/testing/netns.js';
import { socketPath } from '../../src/uapi/socket-path.js';
import { assertGone, ipJson, keyPair, linkExists, QUICK_MAIN, QuickHarness, ruleTables, waitFor } from '../support/quick-harness.js';

describe('quick: viaguard up/down in network namespaces, wireguard-go as the daemon (netns, root)', function () {
  this.timeout(60_000);
  let h: QuickHarness;

  before(async () => {
    h = await QuickHarness.create(['ping']);
  });

  after(() => h?.cleanup());

  it('split tunnel: addresses, MTU, routes of the AllowedIPs not already covered, hooks with %i; down removes it all', async () => {
    const ns = await h.namespace('qk');
    const iface = h.interfaceName('qk');
    const [own, peer1, peer2] = await Promise.all([keyPair(), keyPair(), keyPair()]);
    const hooks = join(h.dir, `${iface}.hooks`);
    const config = await h.writeConfig(
      iface,
      `[Interface]
PrivateKey = ${own.privateKey}
Address = 10.61.0.1/24, fd61::1/64
PreUp = echo "pre-up %i" >> ${hooks}
PostUp = echo "post-up %i" >> ${hooks}
PreDown = echo "pre-down %i" >> ${hooks}
PostDown = echo "post-down %i" >> ${hooks}

[Peer]
PublicKey = ${peer1.publicKey}
AllowedIPs = 10.61.0.2/32, 10.62.0.0/16, fd62::/48
Endpoint = 192.0.2.7:51820

[Peer]
PublicKey = ${peer2.publicKey}
AllowedIPs = 10.63.1.0/24
`,
    );
    const log = await h.quickOk(ns, 'up', config);
    assert.match(log, new RegExp(`\\[#\\] ${h.wireguardGo} ${iface}\\n`));
    assert.match(log, new RegExp(`\\[#\\] ip -4 route add 10.62.0.0/16 dev ${iface}\\n`));
    assert.equal(await readFile(hooks, 'utf8'), `pre-up ${iface}\npost-up ${iface}\n`);

    const [link] = await ipJson<{ mtu: number; flags: string[] }>(ns, ['link', 'show', 'dev', iface]);
    // No route to the endpoint and no default route: 1500 - 80.
    assert.equal(link.mtu, 1420);
    assert.ok(link.flags.includes('UP'));
    const [addresses] = await ipJson<{ addr_info: { local: string; prefixlen: number; scope: string }[] }>(ns, ['address', 'show', 'dev', iface]);
    const global = addresses.addr_info.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`);
    assert.deepEqual(global.sort(), ['10.61.0.1/24', 'fd61::1/64']);
    const routes4 = (await ipJson<{ dst: string }>(ns, ['-4', 'route', 'show', 'dev', iface])).map((r) => r.dst).sort();
    // 10.61.0.2/32 lies inside the address's prefix route: wg-quick adds no route for it.
    assert.deepEqual(routes4, ['10.61.0.0/24', '10.62.0.0/16', '10.63.1.0/24']);
    const routes6 = (await ipJson<{ dst: string }>(ns, ['-6', 'route', 'show', 'dev', iface])).map((r) => r.dst);
    assert.ok(routes6.includes('fd62::/48') && routes6.includes('fd61::/64'), routes6.join(' '));
    assert.deepEqual(await ipJson(ns, ['-4', 'rule', 'show', 'fwmark', '0xca6c']), []);
    const allowed = await ns.exec('wg', ['show', iface, 'allowed-ips']);
    assert.match(allowed, /10\.62\.0\.0\/16/);

    const again = await h.quick(ns, 'up', config);
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim().split('\n').pop(), `viaguard up: \`${iface}' already exists`);
    assert.equal(await linkExists(ns, iface), true, 'a refused second up left the first one alone');

    await h.quickOk(ns, 'down', config);
    assert.equal(await readFile(hooks, 'utf8'), `pre-up ${iface}\npost-up ${iface}\npre-down ${iface}\npost-down ${iface}\n`);
    await assertGone(ns, iface);

    const twice = await h.quick(ns, 'down', config);
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, new RegExp(`^viaguard down: \`${iface}' is not a WireGuard interface \\(`));
    assert.equal(twice.stderr.split('\n').length, 2, 'one line');
  });

  it('full tunnel: fwmark table and rules, automatic MTU, src_valid_mark; a ping through a wireguard-go peer without a routing loop', async () => {
    const a = await h.namespace('qka');
    const b = await h.namespace('qkb');
    const { aDev } = await connect(a, b, { a4: '10.64.0.1', b4: '10.64.0.2', a6: 'fd64::1', b6: 'fd64::2' });
    await a.exec('ip', ['link', 'set', 'dev', aDev, 'mtu', '1400']);
    // The peer's endpoint is off-link, reached through A's default route: exactly the traffic
    // a full tunnel would swallow (a routing loop) without the fwmark and its rules.
    await b.exec('ip', ['address', 'add', '198.51.100.2/32', 'dev', 'lo']);
    await b.exec('ip', ['-6', 'address', 'add', '2001:db8:64::2/128', 'dev', 'lo']);
    await a.exec('ip', ['route', 'add', 'default', 'via', '10.64.0.2']);
    await a.exec('ip', ['-6', 'route', 'add', 'default', 'via', 'fd64::2']);
    // Loose reverse-path filtering, the systemd default (strict filtering and the firewall rules
    // that make it work are quick-firewall.test.ts's).
    await a.exec('sysctl', ['-q', 'net.ipv4.conf.all.rp_filter=2']);
    const baseline = { '-4': await ruleTables(a, '-4'), '-6': await ruleTables(a, '-6') };
    const ifaceA = h.interfaceName('qka');
    const ifaceB = h.interfaceName('qkb');
    const [keysA, keysB] = await Promise.all([keyPair(), keyPair()]);

    // The peer: plain wireguard-go set up with wg and ip.
    await b.exec(h.wireguardGo, [ifaceB]);
    const peerConfig = join(h.dir, `${ifaceB}.peer`);
    await writeFile(peerConfig, `[Interface]\nPrivateKey = ${keysB.privateKey}\nListenPort = 51820\n[Peer]\nPublicKey = ${keysA.publicKey}\nAllowedIPs = 10.65.0.1/32, fd65::1/128\n`);
    await b.exec('wg', ['setconf', ifaceB, peerConfig]);
    await b.exec('ip', ['address', 'add', '10.65.0.2/24', 'dev', ifaceB]);
    await b.exec('ip', ['address', 'add', 'fd65::2/64', 'dev', ifaceB]);
    await b.exec('ip', ['link', 'set', 'up', 'dev', ifaceB]);

    const config = await h.writeConfig(
      ifaceA,
      `[Interface]\nPrivateKey = ${keysA.privateKey}\nAddress = 10.65.0.1/32, fd65::1/128\n\n[Peer]\nPublicKey = ${keysB.publicKey}\nEndpoint = 198.51.100.2:51820\nAllowedIPs = 0.0.0.0/0, ::/0\n`,
    );
    await a.exec('sysctl', ['-q', 'net.ipv4.conf.all.src_valid_mark=0']);
    await h.quickOk(a, 'up', config);

    assert.equal((await a.exec('wg', ['show', ifaceA, 'fwmark'])).trim(), '0xca6c');
    assert.equal((await a.exec('cat', ['/proc/sys/net/ipv4/conf/all/src_valid_mark'])).trim(), '1');
    const [link] = await ipJson<{ mtu: number }>(a, ['link', 'show', 'dev', ifaceA]);
    assert.equal(link.mtu, 1320, 'the path to the endpoint has MTU 1400');
    for (const family of ['-4', '-6'] as const) {
      const rules = await ipJson<{ priority: number; not?: null; fwmark?: string; table: string; suppress_prefixlen?: number }>(a, [family, 'rule', 'show']);
      const own = rules.filter((r) => r.table === '51820');
      assert.equal(own.length, 1, `${family}: ${JSON.stringify(rules)}`);
      assert.equal(own[0].fwmark, '0xca6c');
      assert.ok('not' in own[0], 'not fwmark');
      const suppress = rules.filter((r) => r.table === 'main' && r.suppress_prefixlen === 0);
      assert.equal(suppress.length, 1);
      assert.ok(suppress[0].priority < own[0].priority, 'suppress_prefixlength 0 is consulted first');
      const routes = await ipJson<{ dst: string; dev: string }>(a, [family, 'route', 'show', 'table', '51820']);
      assert.deepEqual(routes.map((r) => [r.dst, r.dev]), [['default', ifaceA]]);
    }

    // Everything the default route covered now goes into the tunnel, the endpoint's address
    // included, except the daemon's own (marked) packets; on-link destinations stay direct.
    const [viaTunnel] = await ipJson<{ dev: string }>(a, ['route', 'get', '198.51.100.2']);
    assert.equal(viaTunnel.dev, ifaceA);
    const [marked] = await ipJson<{ dev: string }>(a, ['route', 'get', '198.51.100.2', 'mark', '51820']);
    assert.equal(marked.dev, aDev);
    const [onLink] = await ipJson<{ dev: string }>(a, ['route', 'get', '10.64.0.2']);
    assert.equal(onLink.dev, aDev);
    await a.exec('ping', ['-c', '2', '-i', '0.2', '-W', '3', '10.65.0.2']);
    await a.exec('ping', ['-6', '-c', '2', '-i', '0.2', '-W', '3', 'fd65::2']);
    const received = async () => Number((await b.exec('wg', ['show', ifaceB, 'transfer'])).trim().split(/\s+/)[1]);
    const before = await received();
    await a.exec('ping', ['-c', '1', '-W', '3', '198.51.100.2']);
    await a.exec('ping', ['-6', '-c', '1', '-W', '3', '2001:db8:64::2']);
    assert.ok((await received()) > before, 'the pings to the endpoint\'s own address went through the tunnel');

    await h.quickOk(a, 'down', config);
    await assertGone(a, ifaceA);
    for (const family of ['-4', '-6'] as const) {
      assert.deepEqual(await ruleTables(a, family), baseline[family], family);
      assert.deepEqual(await ipJson(a, [family, 'route', 'show', 'table', '51820']), []);
    }
    // The underlay carries the traffic again.
    const [direct] = await ipJson<{ dev: string }>(a, ['route', 'get', '198.51.100.2']);
    assert.equal(direct.dev, aDev);
    await a.exec('ping', ['-c', '1', '-W', '3', '198.51.100.2']);
  });

  it('two full tunnels: the second takes the next free table, and taking the first down leaves the second\'s rules', async () => {
    const ns = await h.namespace('qk2');
    const [first, second] = [h.interfaceName('qk2a'), h.interfaceName('qk2b')];
    const configs: string[] = [];
    for (const iface of [first, second]) {
      const [own, peer] = await Promise.all([keyPair(), keyPair()]);
      configs.push(await h.writeConfig(iface, `[Interface]\nPrivateKey = ${own.privateKey}\n[Peer]\nPublicKey = ${peer.publicKey}\nAllowedIPs = 0.0.0.0/0\n`));
    }
    const baseline = await ruleTables(ns, '-4');
    await h.quickOk(ns, 'up', configs[0]);
    await h.quickOk(ns, 'up', configs[1]);
    assert.equal((await ns.exec('wg', ['show', second, 'fwmark'])).trim(), '0xca6d');
    const both = await ruleTables(ns, '-4');
    assert.equal(both.filter((t) => t === '51820').length, 1);
    assert.equal(both.filter((t) => t === '51821').length, 1);

    await h.quickOk(ns, 'down', configs[0]);
    const rules = await ipJson<{ table: string; fwmark?: string; suppress_prefixlen?: number }>(ns, ['-4', 'rule', 'show']);
    assert.deepEqual(rules.filter((r) => r.table === '51820'), []);
    assert.equal(rules.filter((r) => r.table === '51821' && r.fwmark === '0xca6d').length, 1);
    assert.equal(rules.filter((r) => r.table === 'main' && r.suppress_prefixlen === 0).length, 1, 'the second tunnel keeps its suppress_prefixlength rule');
    assert.deepEqual((await ipJson<{ dev: string }>(ns, ['route', 'get', '192.0.2.1']))[0].dev, second);

    await h.quickOk(ns, 'down', configs[1]);
    assert.deepEqual(await ruleTables(ns, '-4'), baseline);
    await assertGone(ns, first);
    await assertGone(ns, second);
  });

  it('SaveConfig: save and down write back the running peers, addresses and MTU; the saved file brings it up again', async () => {
    const ns = await h.namespace('qks');
    const iface = h.interfaceName('qks');
    const [own, peer1, peer2] = await Promise.all([keyPair(), keyPair(), keyPair()]);
    const config = await h.writeConfig(
      iface,
      `[Interface]\nPrivateKey = ${own.privateKey}\nListenPort = 41000\nAddress = 10.66.0.1/24\nMTU = 1400\nTable = off\nSaveConfig = true\nPostUp = true %i\n\n[Peer]\nPublicKey = ${peer1.publicKey}\nAllowedIPs = 10.66.0.2/32\n`,
    );
    await h.quickOk(ns, 'up', config);
    const routes = await ipJson<{ dst: string; protocol: string }>(ns, ['-4', 'route', 'show', 'dev', iface]);
    assert.deepEqual(routes.map((r) => [r.dst, r.protocol]), [['10.66.0.0/24', 'kernel']], 'Table = off adds no route');

    await ns.exec('wg', ['set', iface, 'peer', peer2.publicKey, 'allowed-ips', '10.67.0.0/24', 'endpoint', '192.0.2.9:4000']);
    await ns.exec('ip', ['address', 'add', '10.68.0.1/16', 'dev', iface]);
    await ns.exec('ip', ['link', 'set', 'dev', iface, 'mtu', '1350']);
    // `save` writes the running state without taking the interface down.
    await h.quickOk(ns, 'save', config);
    assert.equal(await linkExists(ns, iface), true);
    assert.match(await readFile(config, 'utf8'), /AllowedIPs = 10\.67\.0\.0\/24/);
    await ns.exec('wg', ['set', iface, 'peer', peer2.publicKey, 'allowed-ips', '10.67.0.0/24,10.69.9.0/24']);
    await h.quickOk(ns, 'down', config);
    await assertGone(ns, iface);

    assert.equal((await stat(config)).mode & 0o777, 0o600);
    const saved = parseWgConfig(await readFile(config, 'utf8'), { file: config });
    assert.deepEqual(saved.interface.addresses.map(formatPrefix), ['10.66.0.1/24', '10.68.0.1/16']);
    assert.equal(saved.interface.mtu, 1350);
    assert.equal(saved.interface.table, 'off');
    assert.equal(saved.interface.saveConfig, true);
    assert.equal(saved.interface.listenPort, 41000);
    assert.deepEqual(saved.interface.postUp, ['true %i']);
    assert.equal(Buffer.from(saved.interface.privateKey!).toString('base64'), own.privateKey);
    const peers = new Map(saved.peers.map((p) => [Buffer.from(p.publicKey).toString('base64'), p]));
    assert.deepEqual(peers.get(peer1.publicKey)?.allowedIps.map(formatPrefix), ['10.66.0.2/32']);
    assert.deepEqual(peers.get(peer2.publicKey)?.allowedIps.map(formatPrefix), ['10.67.0.0/24', '10.69.9.0/24'], 'down saved again');
    assert.deepEqual(peers.get(peer2.publicKey)?.endpoint, { host: '192.0.2.9', port: 4000 });

    await h.quickOk(ns, 'up', config);
    assert.match(await ns.exec('wg', ['show', iface, 'peers']), new RegExp(peer2.publicKey.replace(/[+/]/g, '\\$&')));
    const [link] = await ipJson<{ mtu: number }>(ns, ['link', 'show', 'dev', iface]);
    assert.equal(link.mtu, 1350);
    await h.quickOk(ns, 'down', config);
    await assertGone(ns, iface);
  });

  it('a numbered Table takes every route, the default ones included, without policy rules; DNS through resolvconf', async () => {
    const ns = await h.namespace('qkt');
    const iface = h.interfaceName('qkt');
    const [own, peer] = await Promise.all([keyPair(), keyPair()]);
    const stubDir = join(h.dir, `${iface}.bin`);
    const record = join(h.dir, `${iface}.resolvconf`);
    await mkdir(stubDir);
    await writeFile(join(stubDir, 'resolvconf'), `#!/bin/bash\n{ echo "args: $*"; cat; } >> ${record}\n`, { mode: 0o755 });
    const config = await h.writeConfig(
      iface,
      `[Interface]\nPrivateKey = ${own.privateKey}\nAddress = 10.69.0.1/24\nDNS = 10.69.0.53, corp.example\nTable = 1234\n\n[Peer]\nPublicKey = ${peer.publicKey}\nAllowedIPs = 0.0.0.0/0, 10.70.0.0/16\n`,
    );
    const env = { PATH: `${stubDir}:${process.env.PATH}` };
    const baseline = await ruleTables(ns, '-4');
    await h.quickOk(ns, 'up', config, env);
    const routes = await ipJson<{ dst: string; dev: string }>(ns, ['-4', 'route', 'show', 'table', '1234']);
    assert.deepEqual(routes.map((r) => r.dst).sort(), ['10.70.0.0/16', 'default']);
    assert.deepEqual(await ruleTables(ns, '-4'), baseline, 'no policy rules');
    assert.equal((await ns.exec('wg', ['show', iface, 'fwmark'])).trim(), 'off');
    assert.equal(await readFile(record, 'utf8'), `args: -a ${iface} -m 0 -x\nnameserver 10.69.0.53\nsearch corp.example\n`);

    await h.quickOk(ns, 'down', config, env);
    await assertGone(ns, iface);
    assert.equal(await readFile(record, 'utf8'), `args: -a ${iface} -m 0 -x\nnameserver 10.69.0.53\nsearch corp.example\nargs: -d ${iface} -f\n`);
  });

  it('PeerSelection reaches the daemon as VIAGUARD_PEER_SELECTION and survives SaveConfig', async () => {
    const ns = await h.namespace('qkp');
    const iface = h.interfaceName('qkp');
    const record = join(h.dir, `${iface}.env`);
    const wrapper = join(h.dir, `${iface}-daemon`);
    await writeFile(wrapper, `#!/bin/bash\necho "$VIAGUARD_PEER_SELECTION $1" > ${record}\nexec ${h.wireguardGo} "$@"\n`, { mode: 0o755 });
    const { privateKey } = await keyPair();
    const config = await h.writeConfig(iface, `[Interface]\nPrivateKey = ${privateKey}\nPeerSelection = route\nSaveConfig = true\n`);
    await h.quickOk(ns, 'up', config, { WG_QUICK_USERSPACE_IMPLEMENTATION: wrapper });
    assert.equal(await readFile(record, 'utf8'), `route ${iface}\n`);
    await h.quickOk(ns, 'down', config);
    await assertGone(ns, iface);
    assert.equal(parseWgConfig(await readFile(config, 'utf8')).interface.peerSelection, 'route');
  });

  it('SIGINT during up undoes what up did, as wg-quick\'s trap does', async () => {
    const ns = await h.namespace('qki');
    const iface = h.interfaceName('qki');
    const [own, peer] = await Promise.all([keyPair(), keyPair()]);
    const marker = join(h.dir, `${iface}.postup`);
    const config = await h.writeConfig(
      iface,
      `[Interface]\nPrivateKey = ${own.privateKey}\nAddress = 10.72.0.1/24\nPostUp = touch ${marker}; sleep 1\n\n[Peer]\nPublicKey = ${peer.publicKey}\nAllowedIPs = 10.73.0.0/16\n`,
    );
    // `ip netns exec` and `env` exec in turn, so the child's pid ends up being Node's.
    const child = spawn('ip', ['netns', 'exec', ns.name, 'env', `WG_QUICK_USERSPACE_IMPLEMENTATION=${h.wireguardGo}`, process.execPath, QUICK_MAIN, 'up', config], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    try {
      await waitFor('PostUp to start', () => existsSync(marker));
      assert.equal(await linkExists(ns, iface), true);
      child.kill('SIGINT');
      const [code] = await exited;
      assert.equal(code, 1, stderr);
    } finally {
      child.kill('SIGKILL');
    }
    const lines = stderr.trim().split('\n');
    assert.equal(lines.pop(), 'viaguard up: interrupted');
    assert.ok(lines.includes(`[#] ip link delete dev ${iface}`), stderr);
    await assertGone(ns, iface);
  });

  it('failures: a daemon that fails or is missing is one clear line and leaves nothing', async () => {
    const ns = await h.namespace('qkd');
    const iface = h.interfaceName('qkd');
    const { privateKey } = await keyPair();
    const config = await h.writeConfig(iface, `[Interface]\nPrivateKey = ${privateKey}\nAddress = 10.76.0.1/24\n`);
    const failing = await h.quick(ns, 'up', config, { WG_QUICK_USERSPACE_IMPLEMENTATION: 'false' });
    assert.equal(failing.code, 1);
    assert.equal(failing.stderr.trim().split('\n').pop(), `viaguard up: the daemon \`false ${iface}' failed with exit status 1`);
    assert.doesNotMatch(failing.stderr, /Warning/);
    const missing = await h.quick(ns, 'up', config, { WG_QUICK_USERSPACE_IMPLEMENTATION: `no-such-daemon-${iface}` });
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.trim().split('\n').pop(), `viaguard up: cannot run \`no-such-daemon-${iface}': not found`);
    await assertGone(ns, iface);

    // wireguard-go refuses viaguard's own UAPI key; the interface it made is removed again.
    await h.writeConfig(iface, `[Interface]\nPrivateKey = ${privateKey}\nAddress = 10.76.0.1/24\nSourceCheck = off\n`);
    const refused = await h.quick(ns, 'up', config);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.trim().split('\n').pop(), `viaguard up: ${iface}: the daemon rejected the configuration (errno=-22) (SourceCheck needs viaguardd)`);
    await assertGone(ns, iface);
  });

  it('failures: DNS without resolvconf changes nothing; a failing PostUp undoes everything', async () => {
    const ns = await h.namespace('qkf');
    const iface = h.interfaceName('qkf');
    const [own, peer] = await Promise.all([keyPair(), keyPair()]);
    const emptyPath = join(h.dir, `${iface}.empty`);
    await mkdir(emptyPath);
    const dnsConfig = await h.writeConfig(iface, `[Interface]\nPrivateKey = ${own.privateKey}\nAddress = 10.71.0.1/24\nDNS = 10.71.0.53\n`);
    const noResolvconf = await h.quick(ns, 'up', dnsConfig, { PATH: emptyPath });
    assert.equal(noResolvconf.code, 1);
    assert.equal(noResolvconf.stderr, 'viaguard up: DNS is set in the config but resolvconf(8) is not installed (install resolvconf or openresolv, or remove DNS from the config)\n');
    assert.equal(existsSync(socketPath(iface)), false, 'no daemon was started');

    const hookConfig = await h.writeConfig(
      iface,
      `[Interface]\nPrivateKey = ${own.privateKey}\nAddress = 10.71.0.1/24\nPostUp = exit 7\n\n[Peer]\nPublicKey = ${peer.publicKey}\nAllowedIPs = 0.0.0.0/0\n`,
    );
    const baseline = { '-4': await ruleTables(ns, '-4'), '-6': await ruleTables(ns, '-6') };
    const failed = await h.quick(ns, 'up', hookConfig);
    assert.equal(failed.code, 1);
    const lines = failed.stderr.trim().split('\n');
    assert.equal(lines.pop(), 'viaguard up: PostUp failed with exit status 7: exit 7');
    assert.ok(lines.includes(`[#] ip link delete dev ${iface}`), failed.stderr);
    await assertGone(ns, iface);
    assert.ok(lines.includes('[#] ip -4 rule delete not fwmark 51820 table 51820'), failed.stderr);
    for (const family of ['-4', '-6'] as const) assert.deepEqual(await ruleTables(ns, family), baseline[family], `${family}: the full tunnel rules were undone`);
  });
});
