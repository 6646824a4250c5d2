// The rtnetlink client against a real kernel, in a fresh network namespace, cross-checked with
// `ip -j`. Needs root and iproute2; fails (never skips) without them.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { formatIp, formatPrefix, IpAddress, IpPrefix, parseIp, parsePrefix } from '../../src/net/ip.js';
import { NUD, RT_TABLE } from '../../src/netlink/constants.js';
import { RtnlClient } from '../../src/netlink/client.js';
import type { RtnlEvent } from '../../src/netlink/events.js';
import { NetlinkError } from '../../src/netlink/message.js';
import { RtnlMonitor } from '../../src/netlink/monitor.js';

const suffix = randomBytes(3).toString('hex');
const NS = `netlink-${suffix}`;
const NS_PATH = `/var/run/netns/${NS}`;
const VA = `nlva${suffix}`;
const VB = `nlvb${suffix}`;

const prefix = (s: string): IpPrefix => parsePrefix(s) as IpPrefix;
const ip = (s: string): IpAddress => parseIp(s) as IpAddress;

function ipCmd(...args: string[]): string {
  return execFileSync('ip', ['-n', NS, ...args], { encoding: 'utf8' });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function ipJson(...args: string[]): any[] {
  return JSON.parse(execFileSync('ip', ['-n', NS, '-j', ...args], { encoding: 'utf8' }) || '[]');
}

/** The promise, or a rejection after ms, so that finally blocks run and close what is open. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function rejectsWith(code: string, message: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof NetlinkError, `expected a NetlinkError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}

describe('rtnetlink client in a network namespace', function () {
  this.timeout(30000);
  let client: RtnlClient;
  let vaIndex: number;

  before(() => {
    execFileSync('ip', ['netns', 'add', NS]);
    ipCmd('link', 'add', VA, 'type', 'veth', 'peer', 'name', VB);
    ipCmd('link', 'set', VB, 'up');
    client = new RtnlClient({ netnsPath: NS_PATH });
  });

  after(() => {
    client?.close();
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it('lists links and finds them by name and index', async () => {
    const links = await client.listLinks();
    const names = links.map((l) => l.name).sort();
    assert.deepEqual(names, ['lo', VA, VB].sort());
    const va = await client.getLink(VA);
    vaIndex = va.index;
    assert.equal(va.kind, 'veth');
    assert.equal((await client.getLink(vaIndex)).name, VA);
    const fromIp = ipJson('link', 'show', 'dev', VA)[0];
    assert.equal(fromIp.ifindex, vaIndex);
    assert.equal(fromIp.address, Buffer.from(va.address ?? []).toString('hex').match(/../g)?.join(':'));
  });

  it('sets MTU and up/down like `ip link set mtu N up dev X`', async () => {
    await client.setLink(VA, { mtu: 1420, up: true });
    await client.setLink('lo', { up: true });
    let shown = ipJson('link', 'show', 'dev', VA)[0];
    assert.equal(shown.mtu, 1420);
    assert.ok(shown.flags.includes('UP'));
    const link = await client.getLink(VA);
    assert.equal(link.mtu, 1420);
    assert.equal(link.up, true);
    await client.setLink(VA, { up: false });
    shown = ipJson('link', 'show', 'dev', VA)[0];
    assert.ok(!shown.flags.includes('UP'));
    await client.setLink(VA, { up: true });
    await assert.rejects(client.setLink(VA, { mtu: 20 }), RangeError);
  });

  it('adds, lists and deletes IPv4 and IPv6 addresses', async () => {
    await client.addAddress(VA, prefix('10.77.0.1/24'));
    await client.addAddress(VA, prefix('fd77::1/64'), { nodad: true });
    await client.addAddress('lo', prefix('10.99.0.1/32'));
    const ours = (await client.listAddresses({ dev: VA })).map((a) => formatPrefix(a.address));
    assert.ok(ours.includes('10.77.0.1/24') && ours.includes('fd77::1/64'), ours.join(' '));
    const v6 = (await client.listAddresses({ dev: VA, family: 6 })).find((a) => formatPrefix(a.address) === 'fd77::1/64');
    assert.ok(v6 && v6.flags & 0x02, 'nodad flag kept');
    const shown = ipJson('address', 'show', 'dev', VA)[0].addr_info.map((a: { local: string; prefixlen: number }) => `${a.local}/${a.prefixlen}`);
    assert.ok(shown.includes('10.77.0.1/24') && shown.includes('fd77::1/64'), shown.join(' '));
    const v6Info = ipJson('-6', 'address', 'show', 'dev', VA)[0].addr_info.find((a: { local: string }) => a.local === 'fd77::1');
    assert.equal(v6Info.tentative, undefined, 'nodad address is usable at once');
    await assert.rejects(client.addAddress(VA, prefix('10.77.0.1/24')), rejectsWith('EEXIST', /^RTM_NEWADDR: File exists \(EEXIST\)/));
    await client.deleteAddress('lo', prefix('10.99.0.1/32'));
    assert.equal(ipJson('address', 'show', 'dev', 'lo')[0].addr_info.some((a: { local: string }) => a.local === '10.99.0.1'), false);
  });

  it('adds routes in main and in a numbered table, with gateways, via inet6 and multipath', async () => {
    const fe80 = (await client.listAddresses({ dev: VB, family: 6 })).find((a) => a.address.bytes[0] === 0xfe);
    assert.ok(fe80, 'veth peer has a link-local address');
    const peerLinkLocal = formatIp(fe80.address);
    await client.addRoute({ destination: prefix('10.1.0.0/16'), dev: VA, table: 51820 });
    await client.addRoute({ destination: prefix('10.2.0.0/16'), gateway: ip('10.77.0.2'), dev: VA, metric: 50 });
    await client.addRoute({ destination: prefix('10.3.0.0/16'), gateway: ip(peerLinkLocal), dev: VA });
    await client.addRoute({
      destination: prefix('10.4.0.0/16'),
      multipath: [
        { gateway: ip('10.77.0.2'), dev: VA, weight: 3 },
        { gateway: ip('10.77.0.3'), dev: VA },
      ],
    });
    await client.addRoute({ destination: prefix('fd01::/64'), dev: VA, table: 51820, metric: 100 });
    await client.addRoute({ destination: prefix('0.0.0.0/0'), type: 'blackhole', table: 100 });
    await client.addRoute({ destination: prefix('10.5.0.0/16'), type: 'unreachable' });
    ipCmd('nexthop', 'add', 'id', '42', 'via', '10.77.0.2', 'dev', VA);
    await client.addRoute({ destination: prefix('10.9.0.0/16'), nexthopId: 42 });

    const t = ipJson('route', 'show', 'table', '51820')[0];
    assert.deepEqual([t.dst, t.dev, t.scope], ['10.1.0.0/16', VA, 'link']);
    const gw = ipJson('route', 'show', '10.2.0.0/16')[0];
    assert.deepEqual([gw.gateway, gw.dev, gw.metric], ['10.77.0.2', VA, 50]);
    const via = ipJson('route', 'show', '10.3.0.0/16')[0];
    assert.deepEqual(via.via, { family: 'inet6', host: peerLinkLocal });
    const mp = ipJson('route', 'show', '10.4.0.0/16')[0];
    assert.deepEqual(
      mp.nexthops.map((h: { gateway: string; weight: number }) => [h.gateway, h.weight]),
      [
        ['10.77.0.2', 3],
        ['10.77.0.3', 1],
      ],
    );
    assert.equal(ipJson('-6', 'route', 'show', 'table', '51820')[0].dst, 'fd01::/64');
    assert.equal(ipJson('route', 'show', 'table', '100')[0].type, 'blackhole');

    const all = await client.listRoutes();
    const find = (dst: string, table: number) => all.find((r) => formatPrefix(r.destination) === dst && r.table === table);
    assert.equal(find('10.1.0.0/16', 51820)?.index, vaIndex);
    assert.equal(find('10.2.0.0/16', RT_TABLE.MAIN)?.metric, 50);
    assert.equal(formatIp(find('10.3.0.0/16', RT_TABLE.MAIN)?.gateway as IpAddress), peerLinkLocal);
    assert.deepEqual(find('10.4.0.0/16', RT_TABLE.MAIN)?.multipath?.map((h) => h.weight), [3, 1]);
    assert.equal(find('fd01::/64', 51820)?.metric, 100);
    assert.equal(find('0.0.0.0/0', 100)?.type, 'blackhole');
    assert.equal(find('10.5.0.0/16', RT_TABLE.MAIN)?.type, 'unreachable');
    const viaObject = find('10.9.0.0/16', RT_TABLE.MAIN);
    assert.deepEqual([viaObject?.nexthopId, viaObject?.gateway && formatIp(viaObject.gateway)], [42, '10.77.0.2']);
    assert.equal(ipJson('route', 'show', '10.9.0.0/16')[0].nhid, 42);
    assert.ok(all.some((r) => r.table === RT_TABLE.LOCAL && r.type === 'local'), 'local table listed too');
    const only = await client.listRoutes({ table: 51820, family: 4 });
    assert.deepEqual(only.map((r) => formatPrefix(r.destination)), ['10.1.0.0/16']);
    assert.deepEqual((await client.listRoutes({ table: 51820, family: 6 })).map((r) => formatPrefix(r.destination)), ['fd01::/64']);
    assert.deepEqual((await client.listRoutes({ table: 51820 })).map((r) => formatPrefix(r.destination)).sort(), ['10.1.0.0/16', 'fd01::/64']);
    assert.deepEqual(await client.listRoutes({ table: 4242, family: 4 }), []);
    assert.deepEqual(await client.listRoutes({ table: 4242, family: 6 }), []);
    assert.deepEqual(await client.listRoutes({ table: 4242 }), []);
    assert.deepEqual((await client.listRoutes({ dev: VA, family: 4, table: 100 })).length, 0);

    await client.replaceRoute({ destination: prefix('10.2.0.0/16'), gateway: ip('10.77.0.3'), dev: VA, metric: 50 });
    assert.equal(ipJson('route', 'show', '10.2.0.0/16')[0].gateway, '10.77.0.3');
    const listed = find('10.1.0.0/16', 51820);
    assert.ok(listed);
    await client.deleteRoute(listed);
    assert.deepEqual(ipJson('route', 'show', 'table', '51820'), []);
    await client.deleteRoute({ destination: prefix('10.4.0.0/16') });
    assert.deepEqual(ipJson('route', 'show', '10.4.0.0/16'), []);
  });

  it("adds wg-quick's policy rules and the others, cross-checked with ip rule", async () => {
    await client.addRule({ family: 4, invert: true, fwmark: 51820, table: 51820 });
    await client.addRule({ family: 4, table: RT_TABLE.MAIN, suppressPrefixLength: 0 });
    await client.addRule({ family: 6, invert: true, fwmark: 51820, table: 51820 });
    await client.addRule({ family: 6, table: RT_TABLE.MAIN, suppressPrefixLength: 0 });
    await client.addRule({ family: 4, from: prefix('10.77.0.0/24'), table: 100, priority: 1000 });
    await client.addRule({ family: 4, fwmark: 0x10, fwmask: 0xf0, table: 200, priority: 1001 });

    const v4 = ipJson('rule', 'show');
    const byPriority = new Map(v4.map((r) => [r.priority, r]));
    assert.deepEqual(byPriority.get(32765), { priority: 32765, not: null, src: 'all', fwmark: '0xca6c', table: '51820' });
    assert.deepEqual(byPriority.get(32764), { priority: 32764, src: 'all', table: 'main', suppress_prefixlen: 0 });
    assert.deepEqual(byPriority.get(1000), { priority: 1000, src: '10.77.0.0', srclen: 24, table: '100' });
    assert.equal(byPriority.get(1001)?.fwmask, '0xf0');
    const v6 = ipJson('-6', 'rule', 'show');
    assert.ok(v6.some((r) => r.not === null && r.fwmark === '0xca6c' && r.table === '51820'));
    assert.ok(v6.some((r) => r.suppress_prefixlen === 0 && r.table === 'main'));

    const rules = await client.listRules(4);
    const notRule = rules.find((r) => r.priority === 32765);
    assert.deepEqual([notRule?.invert, notRule?.fwmark, notRule?.table], [true, 51820, 51820]);
    assert.equal(rules.find((r) => r.priority === 32764)?.suppressPrefixLength, 0);
    assert.equal(formatPrefix(rules.find((r) => r.priority === 1000)?.from as IpPrefix), '10.77.0.0/24');
    assert.ok((await client.listRules(6)).every((r) => r.family === 6));

    await assert.rejects(
      client.addRule({ family: 4, invert: true, fwmark: 51820, table: 51820, priority: 32765 }),
      rejectsWith('EEXIST', /RTM_NEWRULE: File exists/),
    );
    await client.deleteRule({ family: 4, priority: 1000 });
    await client.deleteRule({ family: 4, invert: true, fwmark: 51820, table: 51820 });
    const left = ipJson('rule', 'show').map((r) => r.priority);
    assert.ok(!left.includes(1000) && !left.includes(32765), left.join(' '));
  });

  it('adds, replaces, lists, deletes and flushes neighbours', async () => {
    const mac = Uint8Array.from([0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01]);
    await client.addNeighbour({ dev: VA, destination: ip('10.77.0.9'), lladdr: mac });
    await client.addNeighbour({ dev: VA, destination: ip('fd77::9'), lladdr: mac, state: NUD.REACHABLE });
    await client.replaceNeighbour({ dev: VA, destination: ip('10.77.0.10'), lladdr: mac, state: NUD.STALE });
    const shown = ipJson('neigh', 'show', 'dev', VA);
    const v4 = shown.find((n) => n.dst === '10.77.0.9');
    assert.deepEqual([v4.lladdr, v4.state], ['02:aa:bb:cc:dd:01', ['PERMANENT']]);
    assert.ok(shown.some((n) => n.dst === 'fd77::9'));
    const listed = await client.listNeighbours({ dev: VA });
    const entry = listed.find((n) => formatIp(n.destination) === '10.77.0.9');
    assert.deepEqual([entry?.state, entry?.lladdr], [NUD.PERMANENT, mac]);
    await assert.rejects(client.addNeighbour({ dev: VA, destination: ip('10.77.0.9'), lladdr: mac }), rejectsWith('EEXIST', /RTM_NEWNEIGH/));

    await client.deleteNeighbour({ dev: VA, destination: ip('10.77.0.10') });
    assert.ok(!ipJson('neigh', 'show', 'dev', VA).some((n) => n.dst === '10.77.0.10'));
    const spared = await client.flushNeighbours(VA);
    assert.ok(ipJson('neigh', 'show', 'dev', VA).some((n) => n.dst === '10.77.0.9'), `permanent kept (flushed ${spared})`);
    await client.flushNeighbours(VA, { includePermanent: true });
    assert.deepEqual(
      ipJson('neigh', 'show', 'dev', VA).filter((n) => n.dst === '10.77.0.9' || n.dst === 'fd77::9'),
      [],
    );
  });

  it('types errors and stays usable after them', async () => {
    await client.addRoute({ destination: prefix('10.6.0.0/16'), dev: VA });
    await assert.rejects(
      client.addRoute({ destination: prefix('10.6.0.0/16'), dev: VA }),
      rejectsWith('EEXIST', /^RTM_NEWROUTE: File exists \(EEXIST\)$/),
    );
    await assert.rejects(client.addRoute({ destination: prefix('10.7.0.0/16'), index: 9999 }), rejectsWith('ENODEV', /^RTM_NEWROUTE: No such device \(ENODEV\)/));
    await assert.rejects(client.getLink('nlnosuch0'), rejectsWith('ENODEV', /^RTM_GETLINK: No such device \(ENODEV\)$/));
    await assert.rejects(
      client.addRoute({ destination: prefix('10.8.0.0/16'), gateway: ip('192.0.2.1'), dev: VA }),
      (err: NetlinkError) => err.code === 'ENETUNREACH' && typeof err.extAck === 'string' && err.message.endsWith(`: ${err.extAck}`),
    );
    assert.equal((await client.getLink(VA)).index, vaIndex);
    const results = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) => client.addRoute({ destination: prefix(`10.200.${i >> 8}.${i & 255}/32`), dev: VA, table: 300 })),
    );
    assert.ok(results.every((r) => r.status === 'fulfilled'));
    assert.equal((await client.listRoutes({ table: 300 })).length, 300);
  });

  it('deletes a link', async () => {
    const a = `nlxa${suffix}`;
    ipCmd('link', 'add', a, 'type', 'veth', 'peer', 'name', `nlxb${suffix}`);
    await client.deleteLink(a);
    assert.equal(spawnSync('ip', ['-n', NS, 'link', 'show', 'dev', a]).status, 1);
  });

  it('monitors routes, rules, links and neighbours changed by ip in the namespace', async () => {
    const monitor = new RtnlMonitor({ groups: ['ipv4-route', 'ipv6-route', 'ipv4-rule', 'link', 'neighbour'], netnsPath: NS_PATH });
    try {
      const seen: RtnlEvent[] = [];
      const wanted = new Promise<void>((resolve, reject) => {
        monitor.on('error', reject);
        monitor.on('change', (e) => {
          seen.push(e);
          const route = seen.some((x) => x.kind === 'route' && x.action === 'new' && formatPrefix(x.route.destination) === '10.88.0.0/16');
          const rule = seen.some((x) => x.kind === 'rule' && x.action === 'new' && x.rule.fwmark === 7 && x.rule.table === 7);
          const down = seen.some((x) => x.kind === 'link' && x.link.name === VB && !x.link.up);
          const route6 = seen.some((x) => x.kind === 'route' && formatPrefix(x.route.destination) === 'fd88::/64');
          const neighbour = seen.some(
            (x) => x.kind === 'neighbour' && formatIp(x.neighbour.destination) === '10.77.0.50' && x.neighbour.state === NUD.PERMANENT,
          );
          if (route && rule && down && route6 && neighbour) resolve();
        });
      });
      ipCmd('route', 'add', '10.88.0.0/16', 'dev', VA);
      ipCmd('rule', 'add', 'fwmark', '7', 'table', '7');
      ipCmd('link', 'set', VB, 'down');
      ipCmd('-6', 'route', 'add', 'fd88::/64', 'dev', VA);
      ipCmd('neigh', 'add', '10.77.0.50', 'lladdr', '02:00:00:00:00:50', 'dev', VA);
      await within(10000, wanted, 'route, rule, link and neighbour events');
    } finally {
      monitor.close();
    }
  });

  it('reports monitor overflow so callers resync', async () => {
    const monitor = new RtnlMonitor({ groups: ['ipv4-route'], netnsPath: NS_PATH });
    try {
      const overflowed = new Promise<void>((resolve) => monitor.once('overflow', resolve));
      // The JS thread is blocked while ip adds the routes, so notifications pile up unread.
      const batch = Array.from({ length: 30000 }, (_, i) => `route add 10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 dev ${VA} table 400`).join('\n');
      const r = spawnSync('ip', ['-n', NS, '-batch', '-'], { input: batch });
      assert.equal(r.status, 0, r.stderr.toString());
      await within(10000, overflowed, 'overflow event');
      // Still monitoring after the overflow. Until the backlog is read the kernel keeps dropping
      // (the socket is congested), so add routes until one is reported.
      let seen = false;
      monitor.on('change', (e) => {
        if (e.kind === 'route' && e.route.table === 500) seen = true;
      });
      for (let i = 0; !seen; i++) {
        assert.ok(i < 100, 'no route event after the overflow');
        ipCmd('route', 'add', `10.250.${i}.0/24`, 'dev', VA, 'table', '500');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      monitor.close();
    }
  });
});
