// The underlay going away for 30 s and coming back: while the link is down viaguardd keeps
// retrying handshakes at REKEY_TIMEOUT without spinning (its sends fail or go nowhere), and once
// the link is back the traffic flows again and a fresh handshake completes within seconds.
import assert from 'node:assert/strict';
import { requireTools } from '../../src/testing/require-tools.js';
import { createTunnelPair, daemonPid, viaguardd, type TunnelEnd, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import { PingStream } from '../support/ping-stream.js';
import { requireRoot } from '../support/run.js';
import { until } from '../support/selftest-world.js';
import { cpuTicks, isAlive, TICKS_PER_SECOND } from '../../src/testing/proc-stat.js';

const DOWN_MS = 30_000;
/** REKEY_TIMEOUT (5 s) plus its jitter and a busy machine's slack. */
const RECOVERY_MS = 10_000;

/** CPU time (user + system) a process has used, in ms. */
const cpuMs = (pid: number) => (cpuTicks(`/proc/${pid}/stat`) * 1000) / TICKS_PER_SECOND;

async function latestHandshake(end: TunnelEnd): Promise<number> {
  return Number((await end.ns.exec('wg', ['show', end.ifname, 'latest-handshakes'])).trim().split('\t')[1]);
}

async function underlayDevice(end: TunnelEnd): Promise<string> {
  return (await end.ns.exec('ip', ['-o', 'link', 'show', 'type', 'veth'])).split(':')[1].trim().split('@')[0];
}

describe('viaguardd and an underlay link down for 30 s', function () {
  this.timeout(DOWN_MS + 60_000);
  let pair: TunnelPair | undefined;

  before(() => {
    requireRoot();
    requireTools('ping', 'nft');
  });
  after(async () => pair?.destroy());

  it('retries handshakes while down, idles, and recovers within REKEY_TIMEOUT of the link coming back', async () => {
    pair = await createTunnelPair(viaguardd, viaguardd, { index: 132 });
    const { left, right } = pair;
    // Handshake initiations leaving the left end (148 bytes of UDP payload; no data packet has
    // that length): counted in its namespace's output hook, before the dead link loses them.
    const table = 'vg_underlay_down';
    await left.ns.exec('nft', ['add', 'table', 'inet', table]);
    await left.ns.exec('nft', ['add', 'chain', 'inet', table, 'out', '{ type filter hook output priority 0 ; }']);
    await left.ns.exec('nft', ['add', 'rule', 'inet', table, 'out', 'udp', 'dport', '51821', 'udp', 'length', '156', 'counter']);
    const initiations = async () => Number(/counter packets (\d+)/.exec(await left.ns.exec('nft', ['list', 'chain', 'inet', table, 'out']))![1]);

    const pings = new PingStream(left.ns, right.tunnel4, 200);
    await pings.replyAfter(0, 10_000);
    const handshakeBefore = await latestHandshake(left);
    const pids = [await daemonPid(left), await daemonPid(right)];
    const cpuBefore = pids.map(cpuMs);
    const initiationsBefore = await initiations();

    // The right end's link goes down: its own sends fail (no route), the left's go to a link
    // without carrier.
    const veth = await underlayDevice(right);
    await right.ns.exec('ip', ['link', 'set', veth, 'down']);
    const downAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    const cpuDown = pids.map((pid, i) => cpuMs(pid) - cpuBefore[i]);
    const initiationsDown = (await initiations()) - initiationsBefore;
    await right.ns.exec('ip', ['link', 'set', veth, 'up']);
    const upAt = Date.now();

    const replyAt = await pings.replyAfter(upAt, RECOVERY_MS);
    await until('a fresh handshake', async () => (await latestHandshake(left)) > handshakeBefore, upAt + RECOVERY_MS - Date.now());
    const handshakeAt = Date.now();
    console.log(
      `      down ${upAt - downAt} ms: ${initiationsDown} initiations sent, CPU ${cpuDown.join(' / ')} ms (left / right); ` +
        `traffic back ${Math.round(replyAt - upAt)} ms and a new handshake seen ${handshakeAt - upAt} ms after the link came up`,
    );

    assert.ok(pids.every(isAlive), 'both daemons are still running');
    // Kernel timers: no reply for KEEPALIVE + REKEY_TIMEOUT (15 s), then a retry every 5 s.
    assert.ok(initiationsDown >= 2, `${initiationsDown} handshake initiations while down`);
    for (const ms of cpuDown) assert.ok(ms < DOWN_MS * 0.1, `a daemon used ${ms} ms of CPU in ${DOWN_MS} ms down`);
    assert.ok(replyAt - upAt <= RECOVERY_MS);
  });
});
