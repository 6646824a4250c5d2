// Padding within the MTU of the route a packet takes (the kernel pads within dst_mtu): viaguardd
// follows `ip route add ... dev wgX mtu N` and its removal through its route monitor, for IPv4
// and IPv6 destinations. wg show's transfer counts whole data messages: 16 + padded + 16 bytes.
import assert from 'node:assert/strict';
import { createTunnelPair, viaguardd, type TunnelEnd, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import { requireRoot } from '../support/run.js';
import { until } from '../support/selftest-world.js';

async function txBytes(end: TunnelEnd): Promise<number> {
  const [, , tx] = (await end.ns.exec('wg', ['show', end.ifname, 'transfer'])).trim().split('\t');
  return Number(tx);
}

describe('viaguardd pads within the route MTU', function () {
  this.timeout(60_000);
  let pair: TunnelPair | undefined;

  before(() => requireRoot());
  after(async () => pair?.destroy());

  it('follows routes with an mtu through its interface, IPv4 and IPv6, added and removed', async () => {
    pair = await createTunnelPair(viaguardd, viaguardd);
    const { left, right } = pair;
    // The data message of one echo request of `payload` bytes.
    const sent = async (payload: number, destination: string): Promise<number> => {
      const before = await txBytes(left);
      await left.ns.exec('ping', ['-c', '1', '-W', '2', '-s', String(payload), destination]);
      return (await txBytes(left)) - before;
    };
    const becomes = (payload: number, destination: string, message: number) =>
      until(`an echo of ${payload} bytes to ${destination} sent as ${message} bytes`, async () => (await sent(payload, destination)) === message);

    await left.ns.exec('ping', ['-c', '1', '-W', '5', right.tunnel4]); // the handshake
    // Under the device MTU of 1420: 1418 bytes (IPv4) and 1298 bytes (IPv6) pad to 1420 and 1312.
    assert.equal(await sent(1390, right.tunnel4), 16 + 1420 + 16);
    assert.equal(await sent(1250, right.tunnel6), 16 + 1312 + 16);

    await left.ns.exec('ip', ['route', 'add', `${right.tunnel4}/32`, 'dev', left.ifname, 'mtu', '1419']);
    await left.ns.exec('ip', ['-6', 'route', 'add', `${right.tunnel6}/128`, 'dev', left.ifname, 'mtu', '1300']);
    await becomes(1390, right.tunnel4, 16 + 1419 + 16);
    await becomes(1250, right.tunnel6, 16 + 1300 + 16);
    assert.equal(await sent(20, right.tunnel4), 16 + 48 + 16, 'small packets still pad to a multiple of 16');

    await left.ns.exec('ip', ['route', 'del', `${right.tunnel4}/32`, 'dev', left.ifname]);
    await left.ns.exec('ip', ['-6', 'route', 'del', `${right.tunnel6}/128`, 'dev', left.ifname]);
    await becomes(1390, right.tunnel4, 16 + 1420 + 16);
    await becomes(1250, right.tunnel6, 16 + 1312 + 16);
  });
});
