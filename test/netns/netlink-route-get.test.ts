// RtnlClient.getRoute (`ip route get`) against the kernel in a fresh namespace, compared with
// what ip(8) answers. Privileged: needs root and ip; fails (never skips) without them.
import assert from 'node:assert/strict';
import { formatIp, parseIp, type IpAddress } from '../../src/net/ip.js';
import { RtnlClient } from '../../src/netlink/client.js';
import { NetlinkError } from '../../src/netlink/message.js';
import { Namespace } from '../../src/testing/netns.js';
import { requireRoot, uniqueName } from '../support/run.js';

const ip = (text: string) => parseIp(text) as IpAddress;

describe('netlink: route lookups (netns, root)', function () {
  this.timeout(20_000);
  let ns: Namespace | undefined;
  let nl: RtnlClient | undefined;
  const veth = uniqueName('qkrg');

  before(async () => {
    requireRoot();
    ns = await Namespace.create('qkrg');
    await ns.exec('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', `${veth}p`]);
    await ns.exec('ip', ['address', 'add', '10.74.0.1/24', 'dev', veth]);
    await ns.exec('ip', ['link', 'set', 'up', 'dev', veth]);
    await ns.exec('ip', ['link', 'set', 'up', 'dev', `${veth}p`]);
    await ns.exec('ip', ['route', 'add', '10.75.0.0/16', 'via', '10.74.0.9', 'mtu', '1280']);
    await ns.exec('ip', ['route', 'add', 'default', 'via', '10.74.0.8']);
    nl = new RtnlClient({ netnsPath: `/var/run/netns/${ns.name}` });
  });

  after(async () => {
    nl?.close();
    await ns?.destroy();
  });

  it('finds the route the kernel takes, its gateway, device, table and mtu metric', async () => {
    const link = await nl!.getLink(veth);
    const specific = await nl!.getRoute(ip('10.75.3.4'));
    assert.equal(specific.index, link.index);
    assert.equal(formatIp(specific.gateway!), '10.74.0.9');
    assert.equal(specific.table, 254);
    assert.equal(specific.mtu, 1280);
    const viaDefault = await nl!.getRoute(ip('192.0.2.1'));
    assert.equal(formatIp(viaDefault.gateway!), '10.74.0.8');
    assert.equal(viaDefault.mtu, undefined);
    const [ipAnswer] = JSON.parse(await ns!.exec('ip', ['-j', 'route', 'get', '192.0.2.1'])) as { gateway: string; dev: string }[];
    assert.deepEqual([ipAnswer.gateway, ipAnswer.dev], ['10.74.0.8', veth]);
  });

  it('looks IPv6 destinations up too', async () => {
    await ns!.exec('ip', ['-6', 'address', 'add', 'fd74::1/64', 'dev', veth, 'nodad']);
    const route = await nl!.getRoute(ip('fd74::99'));
    assert.equal(route.family, 6);
    assert.equal(route.index, (await nl!.getLink(veth)).index);
  });

  it('rejects with ENETUNREACH when nothing routes there', async () => {
    await assert.rejects(nl!.getRoute(ip('fd99::1')), (e: Error) => e instanceof NetlinkError && e.code === 'ENETUNREACH');
  });
});
