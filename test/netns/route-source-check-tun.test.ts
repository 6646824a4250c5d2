// The `route` source check on a TUN interface (peer selection allowed-ips): a packet from a
// source outside the peer's AllowedIPs is accepted when the kernel's route back to that source
// goes via the peer's address, and dropped (counted per peer) otherwise.
import assert from 'node:assert/strict';
import { createTunnelPair, viaguardd, wireguardGo, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import { UapiClient } from '../../src/uapi/client.js';
import { requireRoot } from '../support/run.js';

describe('route source check on a TUN interface', function () {
  this.timeout(60_000);
  let pair: TunnelPair | undefined;

  before(() => requireRoot());
  after(async () => pair?.destroy());

  async function drops(ifname: string): Promise<number> {
    const status = await new UapiClient(ifname).get();
    assert.equal(status.peerSelection, 'allowed-ips');
    return Number(status.peers[0].extra.find(([k]) => k === 'source_check_drops')?.[1]);
  }

  it('accepts a source routed via the peer and drops one routed elsewhere', async () => {
    pair = await createTunnelPair(viaguardd, wireguardGo, { index: 47 });
    const { left, right } = pair;
    // The right end speaks from 10.77.0.1, which is in no AllowedIPs of the left.
    await right.ns.exec('ip', ['addr', 'add', '10.77.0.1/32', 'dev', 'lo']);
    await right.ns.exec('wg', ['set', right.ifname, 'peer', (await left.ns.exec('wg', ['show', left.ifname, 'public-key'])).trim(), 'allowed-ips', `${left.tunnel4}/32,${left.tunnel6}/128,0.0.0.0/0`]);
    await right.ns.exec('ip', ['route', 'add', '10.77.9.0/24', 'dev', right.ifname]);
    await left.ns.exec('ip', ['addr', 'add', '10.77.9.1/32', 'dev', 'lo']);
    assert.equal(await new UapiClient(left.ifname).set(['source_check=route']), 0);
    assert.equal((await new UapiClient(left.ifname).get()).sourceCheck, 'route');

    // No route back to 10.77.0.1 through the tunnel: dropped as the check says.
    const before = await drops(left.ifname);
    await assert.rejects(right.ns.exec('ping', ['-c', '2', '-i', '0.2', '-W', '1', '-I', '10.77.0.1', '10.77.9.1']));
    assert.ok((await drops(left.ifname)) - before >= 2);

    // The route back goes via the peer's tunnel address: accepted at once (the cache was cleared).
    // The echo requests reach the kernel, whose replies then find no AllowedIPs owner: TUN mode
    // picks peers by AllowedIPs, not by route (that is route mode's job).
    await left.ns.exec('ip', ['route', 'add', '10.77.0.0/24', 'via', right.tunnel4, 'dev', left.ifname]);
    const middle = await drops(left.ifname);
    const noRoute = async () => Number((await new UapiClient(left.ifname).get()).extra.find(([k]) => k === 'dropped_no_route_to_peer')?.[1] ?? 0);
    const repliesBefore = await noRoute();
    await right.ns.exec('ping', ['-c', '2', '-i', '0.2', '-W', '1', '-I', '10.77.0.1', '10.77.9.1']).catch(() => '');
    assert.equal(await drops(left.ifname), middle, 'accepted');
    assert.ok((await noRoute()) - repliesBefore >= 2, 'the kernel answered the accepted requests');
  });
});
