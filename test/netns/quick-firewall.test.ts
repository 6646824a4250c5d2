// `viaguard up`'s nftables firewall for a full tunnel, for real: under strict reverse-path
// filtering (rp_filter=1) the endpoint's replies only get in with wg-quick's CONNMARK rules, so
// the tunnel works with nft and does not without it; the tables go away on down and on a failed
// up, and wg-quick's down removes them as its own. Privileged: needs root, ip, wg, wireguard-go,
// nft, ping, wg-quick; fails (never skips) without them.
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type Namespace } from '../../src/testing/netns.js';
import { assertGone, keyPair, QuickHarness, type Keys } from '../support/quick-harness.js';

const PING = ['-c', '2', '-i', '0.2', '-W', '2'];

async function nftTables(ns: Namespace): Promise<string[]> {
  return (await ns.exec('nft', ['list', 'tables'])).trim().split('\n').filter(Boolean);
}

describe('quick: wg-quick\'s nftables firewall for a full tunnel (netns, root)', function () {
  this.timeout(60_000);
  let h: QuickHarness;

  before(async () => {
    h = await QuickHarness.create(['ping', 'nft', 'wg-quick']);
  });

  after(() => h?.cleanup());

  /** A and B joined by a veth; B runs plain wireguard-go, its endpoint off-link behind A's default route. */
  async function fullTunnelPair(prefix: string): Promise<{ a: Namespace; ifaceA: string; config: string; emptyPath: string }> {
    const a = await h.namespace(`${prefix}a`);
    const b = await h.namespace(`${prefix}b`);
    await connect(a, b, { a4: '10.81.0.1', b4: '10.81.0.2', a6: 'fd81::1', b6: 'fd81::2' });
    await b.exec('ip', ['address', 'add', '198.51.100.81/32', 'dev', 'lo']);
    await a.exec('ip', ['route', 'add', 'default', 'via', '10.81.0.2']);
    await a.exec('ip', ['-6', 'route', 'add', 'default', 'via', 'fd81::2']);
    await a.exec('sysctl', ['-q', 'net.ipv4.conf.all.rp_filter=1']);
    const ifaceA = h.interfaceName(`${prefix}a`);
    const ifaceB = h.interfaceName(`${prefix}b`);
    const [keysA, keysB]: Keys[] = await Promise.all([keyPair(), keyPair()]);

    await b.exec(h.wireguardGo, [ifaceB]);
    const peerConfig = join(h.dir, `${ifaceB}.peer`);
    await writeFile(peerConfig, `[Interface]\nPrivateKey = ${keysB.privateKey}\nListenPort = 51820\n[Peer]\nPublicKey = ${keysA.publicKey}\nAllowedIPs = 10.82.0.1/32, fd82::1/128\n`);
    await b.exec('wg', ['setconf', ifaceB, peerConfig]);
    await b.exec('ip', ['address', 'add', '10.82.0.2/24', 'dev', ifaceB]);
    await b.exec('ip', ['address', 'add', 'fd82::2/64', 'dev', ifaceB]);
    await b.exec('ip', ['link', 'set', 'up', 'dev', ifaceB]);

    const config = await h.writeConfig(
      ifaceA,
      `[Interface]\nPrivateKey = ${keysA.privateKey}\nAddress = 10.82.0.1/32, fd82::1/128\n\n[Peer]\nPublicKey = ${keysB.publicKey}\nEndpoint = 198.51.100.81:51820\nAllowedIPs = 0.0.0.0/0, ::/0\n`,
    );
    // A PATH where no nft can be found (the daemon is named by its full path).
    const emptyPath = join(h.dir, `${ifaceA}.empty`);
    await mkdir(emptyPath);
    return { a, ifaceA, config, emptyPath };
  }

  it('rp_filter=1: without nft a warning and no tunnel; with nft the tables, a working tunnel, and down removes them', async () => {
    const { a, ifaceA, config, emptyPath } = await fullTunnelPair('nfw');
    const table = `wg-quick-${ifaceA}`;
    const baseline = await nftTables(a);

    const withoutNft = await h.quickOk(a, 'up', config, { PATH: emptyPath });
    assert.match(withoutNft, new RegExp(`Warning: nft\\(8\\) is not installed: wg-quick's firewall rules for ${ifaceA} `));
    assert.match(withoutNft, /Warning: net\.ipv4\.conf\.all\.rp_filter=1 \(strict\)/);
    assert.deepEqual(await nftTables(a), baseline);
    // The endpoint's replies come in unmarked and fail the strict reverse-path check.
    await assert.rejects(a.exec('ping', [...PING, '10.82.0.2']));
    // ... and only that: the same tunnel works under loose filtering.
    await a.exec('sysctl', ['-q', 'net.ipv4.conf.all.rp_filter=2']);
    await a.exec('ping', [...PING, '10.82.0.2']);
    await a.exec('sysctl', ['-q', 'net.ipv4.conf.all.rp_filter=1']);
    await h.quickOk(a, 'down', config, { PATH: emptyPath });
    await assertGone(a, ifaceA);

    // A table left behind under the same name is replaced, not appended to.
    await a.exec('nft', ['add', 'table', 'ip', table]);
    await a.exec('nft', ['add', 'chain', 'ip', table, 'stale']);
    const log = await h.quickOk(a, 'up', config);
    assert.ok(log.includes(`[#] nft -f - (table ip ${table}: preraw, premangle, postmangle)\n`), log);
    assert.ok(log.includes(`[#] nft -f - (table ip6 ${table}: preraw, premangle, postmangle)\n`), log);
    assert.doesNotMatch(log, /Warning/);

    const ruleset = await a.exec('nft', ['list', 'ruleset']);
    const v4 = await a.exec('nft', ['list', 'table', 'ip', table]);
    assert.ok(ruleset.includes(v4.trim()), 'nft list ruleset shows the table');
    assert.doesNotMatch(v4, /stale/);
    for (const line of [
      'type filter hook prerouting priority raw; policy accept;',
      `iifname != "${ifaceA}" ip daddr 10.82.0.1 fib saddr type != local drop`,
      'type filter hook prerouting priority mangle; policy accept;',
      'meta l4proto udp meta mark set ct mark',
      'type filter hook postrouting priority mangle; policy accept;',
      'meta l4proto udp meta mark 0x0000ca6c ct mark set meta mark',
    ]) {
      assert.ok(v4.includes(line), `${line}\n${v4}`);
    }
    const v6 = await a.exec('nft', ['list', 'table', 'ip6', table]);
    assert.ok(v6.includes(`iifname != "${ifaceA}" ip6 daddr fd82::1 fib saddr type != local drop`), v6);
    assert.ok(v6.includes('meta l4proto udp meta mark 0x0000ca6c ct mark set meta mark'), v6);

    await a.exec('ping', [...PING, '10.82.0.2']);
    await a.exec('ping', ['-6', ...PING, 'fd82::2']);
    // The endpoint's own address goes through the tunnel too, strict rp_filter notwithstanding.
    await a.exec('ping', [...PING, '198.51.100.81']);
    assert.equal((await a.exec('cat', ['/proc/sys/net/ipv4/conf/all/rp_filter'])).trim(), '1', 'rp_filter stayed strict');

    const down = await h.quickOk(a, 'down', config);
    assert.ok(down.includes(`[#] nft -f - (delete table ip ${table}; delete table ip6 ${table})\n`), down);
    await assertGone(a, ifaceA);
    assert.deepEqual(await nftTables(a), baseline, 'down removed both tables');
  });

  it('a failed up removes the tables it added; down leaves other interfaces\' tables alone', async () => {
    const ns = await h.namespace('nff');
    const iface = h.interfaceName('nff');
    const other = `wg-quick-${iface}x`;
    await ns.exec('nft', ['add', 'table', 'ip', other]);
    const baseline = await nftTables(ns);
    const [own, peer] = await Promise.all([keyPair(), keyPair()]);
    const config = await h.writeConfig(
      iface,
      `[Interface]\nPrivateKey = ${own.privateKey}\nAddress = 10.83.0.1/24, fd83::1/64\nPostUp = exit 7\n\n[Peer]\nPublicKey = ${peer.publicKey}\nAllowedIPs = 0.0.0.0/0, ::/0\n`,
    );
    const failed = await h.quick(ns, 'up', config);
    assert.equal(failed.code, 1);
    const lines = failed.stderr.trim().split('\n');
    assert.equal(lines.pop(), 'viaguard up: PostUp failed with exit status 7: exit 7');
    assert.ok(lines.includes(`[#] nft -f - (table ip wg-quick-${iface}: preraw, premangle, postmangle)`), failed.stderr);
    assert.ok(lines.includes(`[#] nft delete table ip wg-quick-${iface}`), failed.stderr);
    assert.ok(lines.includes(`[#] nft delete table ip6 wg-quick-${iface}`), failed.stderr);
    await assertGone(ns, iface);
    assert.deepEqual(await nftTables(ns), baseline);

    await writeFile(config, (await readFile(config, 'utf8')).replace('PostUp = exit 7\n', ''));
    await h.quickOk(ns, 'up', config);
    assert.ok((await nftTables(ns)).includes(`table ip wg-quick-${iface}`));
    await h.quickOk(ns, 'down', config);
    await assertGone(ns, iface);
    assert.deepEqual(await nftTables(ns), baseline, `${other} is still there`);
  });

  it('the tables are wg-quick\'s own: wg-quick down removes what viaguard up added', async () => {
    const ns = await h.namespace('nfq');
    const iface = h.interfaceName('nfq');
    const [own, peer] = await Promise.all([keyPair(), keyPair()]);
    const config = await h.writeConfig(iface, `[Interface]\nPrivateKey = ${own.privateKey}\nAddress = 10.84.0.1/24\n\n[Peer]\nPublicKey = ${peer.publicKey}\nAllowedIPs = 0.0.0.0/0\n`);
    await h.quickOk(ns, 'up', config);
    assert.deepEqual(await nftTables(ns), [`table ip wg-quick-${iface}`]);
    await ns.exec('wg-quick', ['down', config]);
    await assertGone(ns, iface);
    assert.deepEqual(await nftTables(ns), []);
  });
});
