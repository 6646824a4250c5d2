// A tunnel carrying traffic while 10,000 changes of other peers go through the real `wg`: the
// data plane never stalls for more than 50 ms (issue 13). The changes come as an operator's
// tooling sends them: `wg set` invocations of 100 peers each (50 adding 5,000 peers with an
// endpoint and allowed IPs, 50 removing them), since 10,000 separate processes would measure
// process creation on this machine more than the daemon.
//
// ping and the daemons' data plane threads run at a real-time priority (SCHED_FIFO): on this
// shared 2-core machine the same ping stream with no changes at all showed 280 ms gaps at normal
// priority (other test runs took the CPU), and nice -20 still 140 ms. The JavaScript thread that
// applies the changes keeps its normal priority, so a data plane waiting on it would stall.
// Even so the kernel's own work (softirqs) leaves gaps here: the same stream without changes,
// measured first, showed 24-51 ms. The bound is therefore 50 ms beyond that baseline's worst
// excess over its usual gap; on a quiet machine that excess is about zero and the bound 50 ms.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { requireTools } from '../../src/testing/require-tools.js';
import { createTunnelPair, daemonPid, viaguardd, wgKeyPair, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import { PingStream } from '../support/ping-stream.js';
import { requireRoot } from '../support/run.js';

const PEERS_PER_SET = 100;
const BATCHES = 50;
const PING_INTERVAL_MS = 10;
const MAX_STALL_MS = 50;
const BASELINE_MS = 8_000;

/** The data plane's own threads (viaguard-rx, -tx, -crypto) of a daemon. */
function dataPlaneThreads(pid: number): number[] {
  const tids = readdirSync(`/proc/${pid}/task`).map(Number);
  const threads = tids.filter((tid) => readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('viaguard-'));
  assert.ok(threads.length >= 2, `daemon ${pid} has no data plane threads`);
  return threads;
}

function batchArgs(batch: number, keys: string[], remove: boolean): string[] {
  return keys.flatMap((key, i) => {
    if (remove) return ['peer', key, 'remove'];
    const n = batch * PEERS_PER_SET + i;
    return ['peer', key, 'endpoint', `198.51.100.${n % 250}:${10000 + n}`, 'allowed-ips', `10.250.${n >> 8}.${n & 255}/32,fd00:250::${n.toString(16)}/128`];
  });
}

describe('viaguardd carrying traffic through 10,000 peer changes', function () {
  this.timeout(180_000);
  let pair: TunnelPair | undefined;

  before(() => {
    requireRoot();
    requireTools('ping', 'wg', 'chrt');
  });
  after(async () => pair?.destroy());

  it(`never stalls more than ${MAX_STALL_MS} ms`, async () => {
    pair = await createTunnelPair(viaguardd, viaguardd, { index: 133 });
    const { left, right } = pair;
    const batches = Array.from({ length: BATCHES }, () => Array.from({ length: PEERS_PER_SET }, () => wgKeyPair().publicKey));
    const pings = new PingStream(left.ns, right.tunnel4, PING_INTERVAL_MS);
    const realTime = [pings.pid, ...dataPlaneThreads(await daemonPid(left)), ...dataPlaneThreads(await daemonPid(right))];
    for (const tid of realTime) await left.ns.exec('chrt', ['--fifo', '--pid', '20', String(tid)]);
    const baselineFrom = await pings.replyAfter(0, 10_000);
    await new Promise((resolve) => setTimeout(resolve, BASELINE_MS)); // a span of the stream alone
    const baselineTo = Date.now();
    await pings.replyAfter(baselineTo, 5_000);
    const noise = pings.longestGap(baselineFrom, baselineTo) - pings.medianGap(baselineFrom, baselineTo);

    const started = Date.now();
    let changes = 0;
    for (let batch = 0; batch <= BATCHES; batch++) {
      if (batch < BATCHES) {
        await left.ns.exec('wg', ['set', left.ifname, ...batchArgs(batch, batches[batch], false)]);
        changes += PEERS_PER_SET;
      }
      if (batch > 0) {
        await left.ns.exec('wg', ['set', left.ifname, ...batchArgs(batch - 1, batches[batch - 1], true)]);
        changes += PEERS_PER_SET;
      }
    }
    const ended = Date.now();
    await pings.replyAfter(ended, 5_000);
    const stall = pings.longestGap(started, ended);
    const during = pings.replies.filter((t) => t >= started && t <= ended).length;
    console.log(
      `      ${changes} peer changes in ${ended - started} ms; ${during} ping replies meanwhile, longest gap ${stall.toFixed(1)} ms ` +
        `(without changes: ${pings.longestGap(baselineFrom, baselineTo).toFixed(1)} ms, usually ${pings.medianGap(baselineFrom, baselineTo).toFixed(1)} ms)`,
    );

    assert.equal(changes, 10_000);
    assert.equal((await left.ns.exec('wg', ['show', left.ifname, 'peers'])).trim().split('\n').length, 1, 'only the tunnel peer is left');
    assert.ok(stall <= MAX_STALL_MS + noise, `the tunnel stalled ${stall.toFixed(1)} ms (the machine alone: ${noise.toFixed(1)} ms beyond the usual gap)`);
  });
});
