// The source address of our UDP packets is sticky but not too sticky: the "source address
// stickiness" topology of the kernel's WireGuard selftest (tools/testing/selftests/wireguard/
// netns.sh), with viaguardd at both ends of a veth pair. A removed address is left at once; the
// peer is answered from the address it reached us at; and a new preferred route with another
// `src` takes over ("route precedence").
import assert from 'node:assert/strict';
import { Namespace, connect, uniqueSuffix } from '../../src/testing/netns.js';
import { viaguardd, wgKeyPair } from '../../src/testing/tunnel-pair.js';
import { startInterface } from '../../src/testing/wg-interface.js';
import { requireRoot } from '../support/run.js';

describe('source address stickiness (netns.sh)', function () {
  this.timeout(120_000);
  let ns1: Namespace | undefined;
  let ns2: Namespace | undefined;
  const suffix = uniqueSuffix();
  const wg1 = `vgsa1${suffix}`;
  const wg2 = `vgsa2${suffix}`;
  const keys = [wgKeyPair(), wgKeyPair()];
  let veth1 = '';
  let veth2 = '';

  const n1 = (cmd: string, ...args: string[]) => ns1!.exec(cmd, args);
  const n2 = (cmd: string, ...args: string[]) => ns2!.exec(cmd, args);
  const ping1 = () => n1('ping', '-c', '1', '-W', '5', '192.168.241.2');
  const ping2 = () => n2('ping', '-c', '1', '-W', '5', '192.168.241.1');
  /** ns2's view of ns1's endpoint, as `wg show wg0 endpoints` prints it. */
  const endpointSeenBy2 = async () => (await n2('wg', 'show', wg2, 'endpoints')).trim().split('\t')[1];

  before(async () => {
    requireRoot();
    ns1 = await Namespace.create('vgsa1');
    ns2 = await Namespace.create('vgsa2');
    for (const [ns, ifname, i] of [[ns1, wg1, 0], [ns2, wg2, 1]] as const) {
      await startInterface(ns, viaguardd, ifname, {
        conf: ['[Interface]', `PrivateKey = ${keys[i].privateKey}`, `ListenPort = ${i + 1}`, '[Peer]', `PublicKey = ${keys[1 - i].publicKey}`, `AllowedIPs = 192.168.241.${2 - i}/32, fd00::${2 - i}/128`],
        addresses: [`192.168.241.${i + 1}/24`, `fd00::${i + 1}/24`],
      });
    }
    ({ aDev: veth1, bDev: veth2 } = await connect(ns1, ns2, { a4: '10.0.0.1', b4: '10.0.0.2', a6: 'fd00:aa::1', b6: 'fd00:aa::2' }));
    await n1('sysctl', '-qw', `net.ipv4.conf.${veth1}.promote_secondaries=1`);
  });

  after(async () => {
    await ns1?.destroy();
    await ns2?.destroy();
  });

  it('falls over to a new address when the old one is removed, IPv4 and IPv6', async () => {
    await n1('wg', 'set', wg1, 'peer', keys[1].publicKey, 'endpoint', '10.0.0.2:2');
    await ping1();
    await n1('ip', 'addr', 'add', '10.0.0.10/24', 'dev', veth1);
    await n1('ip', 'addr', 'del', '10.0.0.1/24', 'dev', veth1);
    await ping1();
    assert.equal(await endpointSeenBy2(), '10.0.0.10:1');
    await n1('wg', 'set', wg1, 'peer', keys[1].publicKey, 'endpoint', '[fd00:aa::2]:2');
    await ping1();
    await n1('ip', 'addr', 'add', 'fd00:aa::10/96', 'dev', veth1, 'nodad');
    await n1('ip', 'addr', 'del', 'fd00:aa::1/64', 'dev', veth1);
    await ping1();
    assert.equal(await endpointSeenBy2(), '[fd00:aa::10]:1');
  });

  it('answers from the address it was reached at (reply to sender), also one on another interface', async () => {
    await n1('ip', 'addr', 'flush', 'dev', veth1);
    await n2('ip', 'addr', 'flush', 'dev', veth2);
    for (const address of ['10.0.0.1/24', '10.0.0.2/24']) await n1('ip', 'addr', 'add', address, 'dev', veth1);
    for (const address of ['fd00:aa::1/96', 'fd00:aa::2/96']) await n1('ip', 'addr', 'add', address, 'dev', veth1, 'nodad');
    await n2('ip', 'addr', 'add', '10.0.0.3/24', 'dev', veth2);
    await n2('ip', 'addr', 'add', 'fd00:aa::3/96', 'dev', veth2, 'nodad');
    for (const endpoint of ['10.0.0.1:1', '[fd00:aa::1]:1', '10.0.0.2:1', '[fd00:aa::2]:1']) {
      await n2('wg', 'set', wg2, 'peer', keys[0].publicKey, 'endpoint', endpoint);
      await ping2();
      assert.equal(await endpointSeenBy2(), endpoint);
    }
    // The selftest's dummy0 (no dummy module here: a veth pair inside ns1 stands in for it).
    const [stub, stubPeer] = [`vgsd${suffix}`, `vgse${suffix}`];
    await n1('ip', 'link', 'add', stub, 'type', 'veth', 'peer', 'name', stubPeer);
    await n1('ip', 'addr', 'add', '10.50.0.1/24', 'dev', stub);
    await n1('ip', 'link', 'set', stub, 'up');
    await n1('ip', 'link', 'set', stubPeer, 'up');
    await n2('ip', 'route', 'add', '10.50.0.0/24', 'dev', veth2);
    await n2('wg', 'set', wg2, 'peer', keys[0].publicKey, 'endpoint', '10.50.0.1:1');
    await ping2();
    assert.equal(await endpointSeenBy2(), '10.50.0.1:1');
    await n1('ip', 'link', 'del', stub);
    await n1('ip', 'addr', 'flush', 'dev', veth1);
    await n2('ip', 'addr', 'flush', 'dev', veth2);
    await n1('ip', 'route', 'flush', 'dev', veth1);
    await n2('ip', 'route', 'flush', 'dev', veth2);
  });

  it('lets a new preferred route with another src take over (route precedence)', async () => {
    const { aDev: veth3, bDev: veth4 } = await connect(ns1!, ns2!, { a4: '10.0.0.3', b4: '10.0.0.4', a6: 'fd00:bb::3', b6: 'fd00:bb::4' });
    await n2('ip', 'addr', 'flush', 'dev', veth4);
    await n1('ip', 'addr', 'add', '10.0.0.1/24', 'dev', veth1);
    await n2('ip', 'addr', 'add', '10.0.0.2/24', 'dev', veth2);
    await n1('ip', 'route', 'flush', 'dev', veth1);
    await n1('ip', 'route', 'flush', 'dev', veth3);
    await n1('ip', 'route', 'add', '10.0.0.0/24', 'dev', veth1, 'src', '10.0.0.1', 'metric', '2');
    await n1('wg', 'set', wg1, 'peer', keys[1].publicKey, 'endpoint', '10.0.0.2:2');
    await ping1();
    assert.equal(await endpointSeenBy2(), '10.0.0.1:1');
    await n1('ip', 'route', 'add', '10.0.0.0/24', 'dev', veth3, 'src', '10.0.0.3', 'metric', '1');
    await n1('sysctl', '-qw', `net.ipv4.conf.${veth1}.rp_filter=0`);
    await n2('sysctl', '-qw', `net.ipv4.conf.${veth4}.rp_filter=0`);
    await n1('sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0');
    await n2('sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0');
    await ping1();
    assert.equal(await endpointSeenBy2(), '10.0.0.3:1');
  });
});
