// `viaguard show --json` against live daemons is what the shipped JSON Schemas describe:
// viaguardd (counters as numbers, source check drops per peer) and wireguard-go (its subset).
import assert from 'node:assert/strict';
import { createTunnelPair, VIAGUARD_PATH, viaguardd, wireguardGo, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import type { DeviceJson } from '../../src/cli/show-json.js';
import { requireRoot, runOk } from '../support/run.js';
import { assertMatchesSchema } from '../support/schemas.js';

const showJson = async (args: string[]) => JSON.parse(await runOk(process.execPath, [VIAGUARD_PATH, 'show', ...args, '--json'])) as unknown;

describe('viaguard show --json matches its schemas (viaguardd and wireguard-go)', function () {
  this.timeout(60_000);
  let pair: TunnelPair | undefined;

  before(async () => {
    requireRoot();
    pair = await createTunnelPair(viaguardd, wireguardGo, { index: 62 });
    await pair.left.ns.exec('ping', ['-c', '2', '-i', '0.2', '-W', '5', pair.right.tunnel4]);
  });
  after(async () => pair?.destroy());

  it('one viaguardd interface: typed counters and times', async () => {
    const { left } = pair!;
    const json = await showJson([left.ifname]);
    assertMatchesSchema('show-device', json);
    const device = json as DeviceJson;
    assert.equal(device.sourceCheck, 'allowed-ips');
    assert.equal(device.counters.handshake_responses_accepted, 1);
    assert.ok(device.counters.data_packets_sent >= 2);
    const [peer] = device.peers;
    assert.equal(peer.sourceCheckDrops, 0);
    const [, handshakeSec] = (await left.ns.exec('wg', ['show', left.ifname, 'latest-handshakes'])).trim().split('\t');
    assert.equal(Math.floor(peer.latestHandshakeUnixMs / 1000), Number(handshakeSec));
  });

  it('one wireguard-go interface: its subset, viaguard\'s fields null or empty', async () => {
    const json = await showJson([pair!.right.ifname]);
    assertMatchesSchema('show-device', json);
    const device = json as DeviceJson;
    assert.deepEqual([device.sourceCheck, device.peerSelection, device.counters], [null, null, {}]);
    assert.equal(device.peers[0].sourceCheckDrops, null);
    assert.ok(device.peers[0].txBytes > 0);
  });

  it('all interfaces, and the list of names', async () => {
    const all = await showJson(['all']);
    assertMatchesSchema('show-all', all);
    assert.ok((all as DeviceJson[]).some((d) => d.name === pair!.left.ifname));
    const names = await showJson(['interfaces']);
    assertMatchesSchema('show-interfaces', names);
    assert.ok((names as string[]).includes(pair!.right.ifname));
  });
});
