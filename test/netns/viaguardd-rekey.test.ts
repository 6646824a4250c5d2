// Sessions outliving REKEY_AFTER_TIME (120 s) with a real peer, traffic flowing throughout: once
// with viaguardd as the initiator (it rekeys) and once with wireguard-go as the initiator
// (viaguardd answers, then promotes the new keypair on the first data). Both pairs run at once.
import assert from 'node:assert/strict';
import { createTunnelPair, viaguardd, wireguardGo, type TunnelEnd, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import { requireRoot } from '../support/run.js';

const RUN_SECONDS = 135;
const INTERVAL = 0.2;

async function latestHandshake(end: TunnelEnd): Promise<number> {
  return Number((await end.ns.exec('wg', ['show', end.ifname, 'latest-handshakes'])).trim().split('\t')[1]);
}

/** Pings from `from` to `to` for RUN_SECONDS; resolves with how many replies came back of how many sent. */
async function pingThroughout(from: TunnelEnd, to: TunnelEnd): Promise<{ sent: number; received: number }> {
  const count = Math.round(RUN_SECONDS / INTERVAL);
  const out = await from.ns.exec('ping', ['-q', '-c', String(count), '-i', String(INTERVAL), '-W', '2', to.tunnel4]).catch((error: Error) => error.message);
  const match = /(\d+) packets transmitted, (\d+) received/.exec(out);
  assert.ok(match, out);
  return { sent: Number(match[1]), received: Number(match[2]) };
}

describe('viaguardd rekeying with wireguard-go under traffic', function () {
  this.timeout((RUN_SECONDS + 60) * 1000);
  const pairs: TunnelPair[] = [];

  before(() => requireRoot());
  after(async () => {
    for (const pair of pairs) await pair.destroy();
  });

  it('rekeys after 120 s as initiator and as responder without losing the flow', async () => {
    const ours = await createTunnelPair(viaguardd, wireguardGo, { index: 51 });
    pairs.push(ours);
    const theirs = await createTunnelPair(viaguardd, wireguardGo, { index: 52 });
    pairs.push(theirs);
    // Who sends first initiates: viaguardd in `ours`, wireguard-go in `theirs`.
    await ours.left.ns.exec('ping', ['-c', '1', '-W', '5', ours.right.tunnel4]);
    await theirs.right.ns.exec('ping', ['-c', '1', '-W', '5', theirs.left.tunnel4]);
    const first = { ours: await latestHandshake(ours.left), theirs: await latestHandshake(theirs.left) };

    const [a, b] = await Promise.all([pingThroughout(ours.left, ours.right), pingThroughout(theirs.right, theirs.left)]);

    const second = { ours: await latestHandshake(ours.left), theirs: await latestHandshake(theirs.left) };
    assert.ok(second.ours >= first.ours + 110, `viaguardd as initiator rekeyed (${first.ours} -> ${second.ours})`);
    assert.ok(second.theirs >= first.theirs + 110, `viaguardd as responder took the new session (${first.theirs} -> ${second.theirs})`);
    // A rekey must not open a hole in the flow: allow a single lost echo for scheduling noise.
    assert.ok(a.sent - a.received <= 1, `viaguardd initiating: ${a.received}/${a.sent} replies`);
    assert.ok(b.sent - b.received <= 1, `wireguard-go initiating: ${b.received}/${b.sent} replies`);
  });
});
