// viaguard up/down as a drop-in for wg-quick(8): the same config brought up by the real wg-quick
// (Debian's wireguard-tools, falling back to wireguard-go) and by viaguard (also with
// wireguard-go), each in its own identical namespace, must leave the same interface, addresses,
// routes in every table, policy rules, fwmark, src_valid_mark and nftables ruleset; and down
// must restore the same state.
// Privileged: needs root, ip, wg, wg-quick, wireguard-go, bash, nft; fails (never skips) without them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Namespace } from '../../src/testing/netns.js';
import { ipJson, keyPair, QuickHarness } from '../support/quick-harness.js';
import { run, uniqueName } from '../support/run.js';

interface Scenario {
  name: string;
  /** The config text without [Interface]'s PrivateKey; %HOOKS% is a file the hooks append to. */
  body: string;
}

/** Everything up changes, with the interface's own name replaced by IFACE. */
async function snapshot(ns: Namespace, iface: string) {
  const anonymize = (value: unknown) => JSON.parse(JSON.stringify(value).replaceAll(iface, 'IFACE'));
  const links = await ipJson<{ mtu: number; flags: string[] }>(ns, ['link', 'show']).catch(() => []);
  const link = links.find((l) => (l as unknown as { ifname: string }).ifname === iface);
  const addresses = link
    ? (await ipJson<{ addr_info: { local: string; prefixlen: number; scope: string }[] }>(ns, ['address', 'show', 'dev', iface]))[0].addr_info
        .filter((a) => a.scope !== 'link')
        .map((a) => `${a.local}/${a.prefixlen}`)
        .sort()
    : [];
  const routes = link
    ? // `table all` lists both families.
      (await ipJson<{ dst: string; table?: string; protocol?: string; scope?: string; type?: string; metric?: number }>(ns, ['route', 'show', 'table', 'all', 'dev', iface]))
        // The kernel's random IPv6 link-local address differs between any two interfaces.
        .filter((r) => !String(r.dst).startsWith('fe80'))
        .map((r) => [r.dst, r.table ?? 'main', r.protocol ?? '', r.scope ?? '', r.type ?? 'unicast', r.metric ?? 0].join(' '))
        .sort()
    : [];
  return anonymize({
    link: link && { mtu: link.mtu, up: link.flags.includes('UP') },
    addresses,
    routes,
    rules4: await ipJson(ns, ['-4', 'rule', 'show']),
    rules6: await ipJson(ns, ['-6', 'rule', 'show']),
    fwmark: link ? (await ns.exec('wg', ['show', iface, 'fwmark'])).trim() : undefined,
    srcValidMark: (await ns.exec('cat', ['/proc/sys/net/ipv4/conf/all/src_valid_mark'])).trim(),
    // Table by table: wg-quick sets up ::/0 before 0.0.0.0/0 (its `sort -nr` breaks the tie
    // on the reversed text), viaguard the other way round. A full tunnel's anti-spoofing rules
    // name every address of the link, the random link-local one included.
    nftables: (await ns.exec('nft', ['list', 'ruleset']))
      .trim()
      .replace(/fe80::[0-9a-f:]+/g, 'fe80::LINK-LOCAL')
      .split(/\n(?=table )/)
      .sort(),
  });
}

const SCENARIOS: Scenario[] = [
  {
    name: 'full tunnel (Table auto) with split routes and an automatic MTU',
    body: `Address = 10.81.0.1/24, fd81::1/64
PostUp = echo up %i >> %HOOKS%
PostDown = echo down %i >> %HOOKS%

[Peer]
PublicKey = %PEER1%
AllowedIPs = 0.0.0.0/0, ::/0, 10.82.0.0/16
Endpoint = 10.80.0.9:51820

[Peer]
PublicKey = %PEER2%
AllowedIPs = 10.81.0.7/32, fd83::/48
`,
  },
  {
    name: 'a numbered Table, default routes included, explicit MTU',
    body: `Address = 10.84.0.1/16
MTU = 1380
Table = 4321

[Peer]
PublicKey = %PEER1%
AllowedIPs = 0.0.0.0/0, 10.85.0.0/24, fd85::/64
`,
  },
  {
    name: 'Table off and an explicit FwMark',
    body: `Address = fd86::1/64
Table = off
FwMark = 0x99

[Peer]
PublicKey = %PEER1%
AllowedIPs = ::/0, 10.86.0.0/16
Endpoint = 10.80.0.9:51820
`,
  },
];

describe('quick: viaguard up/down against the real wg-quick, config for config (netns, root)', function () {
  this.timeout(60_000);
  let h: QuickHarness;

  before(async () => {
    h = await QuickHarness.create(['wg-quick', 'nft']);
  });

  after(() => h?.cleanup());

  /** A namespace with an underlay: a veth pair of MTU 1400, 10.80.0.9 reached through it. */
  async function underlay(prefix: string): Promise<Namespace> {
    const ns = await h.namespace(prefix);
    const veth = uniqueName(prefix);
    await ns.exec('ip', ['link', 'add', veth, 'mtu', '1400', 'type', 'veth', 'peer', 'name', `${veth}p`, 'mtu', '1400']);
    await ns.exec('ip', ['address', 'add', '10.80.0.1/24', 'dev', veth]);
    await ns.exec('ip', ['link', 'set', 'up', 'dev', veth]);
    await ns.exec('ip', ['link', 'set', 'up', 'dev', `${veth}p`]);
    return ns;
  }

  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      const [own, peer1, peer2] = await Promise.all([keyPair(), keyPair(), keyPair()]);
      const prefix = `q${randomBytes(1).toString('hex')}`;
      const ours = { ns: await underlay(`${prefix}v`), iface: h.interfaceName(`${prefix}v`) };
      const theirs = { ns: await underlay(`${prefix}w`), iface: h.interfaceName(`${prefix}w`) };
      const text = (iface: string) =>
        `[Interface]\nPrivateKey = ${own.privateKey}\n${scenario.body}`
          .replaceAll('%HOOKS%', `${h.dir}/${iface}.hooks`)
          .replaceAll('%PEER1%', peer1.publicKey)
          .replaceAll('%PEER2%', peer2.publicKey);
      const ourConfig = await h.writeConfig(ours.iface, text(ours.iface));
      const theirConfig = await h.writeConfig(theirs.iface, text(theirs.iface));
      const wgQuick = async (command: 'up' | 'down') => {
        const result = await run('ip', ['netns', 'exec', theirs.ns.name, 'env', `WG_QUICK_USERSPACE_IMPLEMENTATION=${h.wireguardGo}`, 'wg-quick', command, theirConfig]);
        assert.equal(result.code, 0, `wg-quick ${command}: ${result.stderr}`);
      };
      const before = await snapshot(theirs.ns, theirs.iface);
      assert.deepEqual(await snapshot(ours.ns, ours.iface), before, 'identical namespaces to start with');

      await wgQuick('up');
      await h.quickOk(ours.ns, 'up', ourConfig);
      const up = await snapshot(theirs.ns, theirs.iface);
      assert.ok(up.link?.up, 'wg-quick brought the link up');
      assert.deepEqual(await snapshot(ours.ns, ours.iface), up);

      await wgQuick('down');
      await h.quickOk(ours.ns, 'down', ourConfig);
      const down = await snapshot(theirs.ns, theirs.iface);
      assert.equal(down.link, undefined);
      assert.deepEqual(await snapshot(ours.ns, ours.iface), down);
      if (scenario.body.includes('%HOOKS%')) {
        assert.equal(await run('cat', [`${h.dir}/${ours.iface}.hooks`]).then((r) => r.stdout), `up ${ours.iface}\ndown ${ours.iface}\n`);
      }
    });
  }
});
