// The netns trick (https://www.wireguard.com/netns/): the daemon starts in one namespace, whose
// UDP socket it keeps, and its interface is moved into another, where it carries the tunnel.
// Moving is not a deletion: viaguardd keeps serving and its netlink work (link, MTU, route
// mode's neighbour entries) follows the interface; deleting the interface where it now lives
// still ends the daemon.
import assert from 'node:assert/strict';
import { peerMac } from '../../src/native/dataplane.js';
import { viaguardd, wgKeyPair, wireguardGo } from '../../src/testing/tunnel-pair.js';
import { requireRoot } from '../support/run.js';
import { SelftestWorld, until } from '../support/selftest-world.js';

const IF = 'wg0';

/** Keys and UDP ports of the two daemons; both run in ns0 and talk over its loopback. */
async function pairUp(world: SelftestWorld, a: number, b: number, allowed: { a: string; b: string }): Promise<{ keyA: string; keyB: string }> {
  const keys = [wgKeyPair(), wgKeyPair()];
  const ends = [
    { at: a, port: 1, key: keys[0], peer: keys[1], peerPort: 2, allowed: allowed.b },
    { at: b, port: 2, key: keys[1], peer: keys[0], peerPort: 1, allowed: allowed.a },
  ];
  for (const end of ends) {
    const keyFile = world.keyFile(`key${end.port}`, end.key.privateKey);
    await world.wgOk(end.at, IF, ['set', IF, 'private-key', keyFile, 'listen-port', String(end.port), 'peer', end.peer.publicKey, 'allowed-ips', end.allowed, 'endpoint', `127.0.0.1:${end.peerPort}`]);
  }
  return { keyA: keys[0].publicKey, keyB: keys[1].publicKey };
}

async function ping(world: SelftestWorld, from: number, address: string): Promise<void> {
  await world.nOk(from, 'ping', ['-c', '2', '-i', '0.2', '-W', '2', address]);
}

describe('the netns trick: a TUN moved to another namespace', function () {
  this.timeout(60_000);
  let world: SelftestWorld | undefined;

  before(() => requireRoot());
  afterEach(async () => {
    await world?.destroy();
    world = undefined;
  });

  it('keeps a working tunnel with wireguard-go, UDP staying where the daemon started, and follows a second move', async () => {
    world = await SelftestWorld.create(viaguardd, 4);
    await world.addWg(1, IF, { createdIn: 0 });
    await world.addWg(2, IF, { createdIn: 0, impl: wireguardGo });
    await pairUp(world, 1, 2, { a: '192.168.241.1/32', b: '192.168.241.2/32' });
    for (const [i, address] of [[1, '192.168.241.1/24'], [2, '192.168.241.2/24']] as const) {
      await world.ip(i, 'addr', 'add', address, 'dev', IF);
      await world.ip(i, 'link', 'set', 'up', 'dev', IF);
    }
    await ping(world, 1, '192.168.241.2');
    await ping(world, 2, '192.168.241.1');
    // The UDP socket is ns0's; the namespace holding the interface has none.
    assert.match(await world.nOk(0, 'ss', ['-uanpH', 'sport = 1']), /viaguardd|node/);
    assert.equal((await world.nOk(1, 'ss', ['-uanH', 'sport = 1'])).trim(), '');

    // Moved again: the daemon must follow it into ns3 as well (an MTU set there reaches it).
    await world.moveWg(IF, 1, 3);
    await world.ip(3, 'addr', 'add', '192.168.241.1/24', 'dev', IF);
    await world.ip(3, 'link', 'set', 'mtu', '1380', 'up', 'dev', IF);
    await ping(world, 3, '192.168.241.2');
    await world.nOk(3, 'ping', ['-c', '1', '-W', '2', '-s', String(1380 - 28), '-M', 'do', '192.168.241.2']);
  });

  it('in route mode answers ARP and keeps neighbour entries in the new namespace', async () => {
    world = await SelftestWorld.create(viaguardd, 3);
    await world.addWg(1, IF, { createdIn: 0, peerSelection: 'route' });
    await world.addWg(2, IF, { createdIn: 0, impl: wireguardGo });
    const { keyB } = await pairUp(world, 1, 2, { a: '10.9.0.1/32', b: '10.9.0.2/32' });
    await world.ip(1, 'addr', 'add', '10.9.0.1/24', 'dev', IF);
    await world.ip(2, 'addr', 'add', '10.9.0.2/24', 'dev', IF);
    for (const i of [1, 2]) await world.ip(i, 'link', 'set', 'up', 'dev', IF);
    await ping(world, 1, '10.9.0.2');
    const mac = Buffer.from(peerMac(Buffer.from(keyB, 'base64'))).toString('hex').replace(/(..)(?!$)/g, '$1:');
    assert.match(await world.ip(1, 'neigh', 'show', 'dev', IF, '10.9.0.2'), new RegExp(`lladdr ${mac}`));

    // The peer no longer owns the address: the neighbour sync, working in ns1, drops the entry.
    await world.wgOk(1, IF, ['set', IF, 'peer', keyB, 'allowed-ips', '']);
    await until('the stale neighbour entry in ns1 is gone', async () => !(await world!.ip(1, 'neigh', 'show', 'dev', IF, '10.9.0.2')).includes('lladdr'));
  });

  for (const mode of ['allowed-ips', 'route'] as const) {
    it(`ends the daemon when the moved interface is deleted in its new namespace (${mode})`, async () => {
      world = await SelftestWorld.create(viaguardd, 2);
      await world.addWg(1, IF, { createdIn: 0, peerSelection: mode === 'route' ? 'route' : undefined });
      const pid = world.pidOf(1, IF);
      // Still serving after the move: the UAPI answers.
      assert.match(await world.wgOk(1, IF, ['show', IF, 'listen-port']), /^\d+\n$/);
      await world.delWg(1, IF);
      assert.throws(() => process.kill(pid, 0));
      assert.doesNotMatch(await world.nOk(1, 'ls', ['/var/run/wireguard']), new RegExp(`${IF}\\.sock`));
    });
  }
});
