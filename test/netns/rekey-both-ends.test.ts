// Rekeys at both ends under traffic, with the crypto worker pool: two viaguardd with more
// workers than this machine has CPUs carry a continuous TCP stream each way while each renews
// its sessions after REKEY_AFTER_MESSAGES (lowered by the daemon's test knob, so a rekey comes
// every REKEY_TIMEOUT instead of after 2^60 messages). Both ends must initiate several
// handshakes, and both streams arrive byte-identical with no reordering and no packet failing
// authentication or replay checks.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTunnelPair, daemonPid, VIAGUARDD_PATH, type Implementation, type TunnelEnd, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import { requireTools } from '../../src/testing/require-tools.js';
import { UapiClient } from '../../src/uapi/client.js';
import { collect, difference, helperTicks, SENDER_REORDER_COUNTERS, tcpCounters, threadNames } from '../support/crypto-flow.js';
import { waitFor } from '../support/quick-harness.js';

// More crypto workers than CPUs (at least 4), whatever the machine.
const THREADS = Math.max(4, cpus().length + 2);
const REKEY_AFTER_MESSAGES = 2048;
/** Handshakes each end must initiate (and complete) while the streams run. */
const REKEYS = 3;
const CHUNK_BYTES = 1 << 20;
const rekeying: Implementation = {
  label: `viaguardd --threads ${THREADS}, rekey after ${REKEY_AFTER_MESSAGES} messages`,
  command: ['env', `VIAGUARD_TEST_REKEY_AFTER_MESSAGES=${REKEY_AFTER_MESSAGES}`, process.execPath, VIAGUARDD_PATH, '--threads', String(THREADS)],
};

/** The daemon's own UAPI counters that tell how a rekey went; a counter still 0 is not reported. */
const COUNTERS = ['handshake_responses_accepted', 'handshake_initiations_accepted', 'dropped_auth_failed', 'dropped_replayed', 'dropped_expired_key', 'dropped_unknown_receiver_index'] as const;
type Counters = Record<(typeof COUNTERS)[number], number>;

async function counters(end: TunnelEnd): Promise<Counters> {
  const extra = new Map((await new UapiClient(end.ifname).get()).extra);
  return Object.fromEntries(COUNTERS.map((name) => [name, Number(extra.get(name) ?? 0)])) as Counters;
}

async function latestHandshake(end: TunnelEnd): Promise<number> {
  return Number((await end.ns.exec('wg', ['show', end.ifname, 'latest-handshakes'])).trim().split('\t')[1]);
}

/**
 * One TCP connection from `from` to `to` that repeats `chunk` until the stop file appears, then
 * closes. finish() stops it and returns what was sent and what arrived (sha256 both).
 */
async function startStream(from: TunnelEnd, to: TunnelEnd, dir: string, name: string): Promise<{ finish: () => Promise<{ sent: string; received: string; chunks: number }> }> {
  const chunk = join(dir, `${name}.chunk`);
  const stop = join(dir, `${name}.stop`);
  const count = join(dir, `${name}.count`);
  writeFileSync(chunk, randomBytes(CHUNK_BYTES));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const receiver = collect(to.ns.spawn('sh', ['-c', `socat -u TCP4-LISTEN:${port},reuseaddr STDOUT | sha256sum`]));
  await waitFor(`socat listening on port ${port}`, async () => (await to.ns.exec('ss', ['-Hltn', `sport = :${port}`])).includes(`:${port}`), 10_000);
  // Short pauses between chunks keep both directions' traffic interleaved, never idle for long.
  const script = `{ n=0; while [ ! -e "$STOP" ]; do cat "$CHUNK" || exit 1; n=$((n + 1)); sleep 0.02; done; echo $n > "$COUNT"; } | socat -u STDIN TCP4:${to.tunnel4}:${port},connect-timeout=20`;
  const sender = collect(from.ns.spawn('sh', ['-c', script], { ...process.env, CHUNK: chunk, STOP: stop, COUNT: count }));
  return {
    finish: async () => {
      writeFileSync(stop, '');
      assert.equal(await sender.exit, 0, `${name}: sender failed: ${sender.stderr()}`);
      assert.equal(await receiver.exit, 0, `${name}: receiver failed: ${receiver.stderr()}`);
      const chunks = Number(readFileSync(count, 'utf8'));
      const bytes = readFileSync(chunk);
      const hash = createHash('sha256');
      for (let i = 0; i < chunks; i++) hash.update(bytes);
      return { sent: hash.digest('hex'), received: receiver.stdout().split(/\s/)[0], chunks };
    },
  };
}

describe('rekeys at both ends under traffic with the crypto worker pool (netns)', function () {
  this.timeout(300_000);
  let pair: TunnelPair;
  let dir: string;

  before(async () => {
    requireTools('env', 'socat', 'nstat', 'sha256sum', 'ss');
    dir = mkdtempSync(join(tmpdir(), 'viaguard-rekey-'));
    pair = await createTunnelPair(rekeying, rekeying, { index: 193 });
  });
  after(async () => {
    await pair?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`renews the session from both ends at least ${REKEYS} times each while a stream flows each way, losing and reordering nothing`, async () => {
    const { left, right } = pair;
    const ends = [left, right];
    const pids = await Promise.all(ends.map(daemonPid));
    for (const [i, pid] of pids.entries()) {
      const helpers = threadNames(pid).filter((name) => name === 'viaguard-crypto');
      assert.equal(helpers.length, THREADS - 1, `${ends[i].ifname}: ${THREADS} crypto threads (${THREADS - 1} helpers beside the I/O thread)`);
    }
    await left.ns.exec('ping', ['-c', '1', '-W', '5', right.tunnel4]);
    const before = await Promise.all(ends.map(counters));
    const handshakesBefore = await Promise.all(ends.map(latestHandshake));
    const reorderBefore = await Promise.all(ends.map((end) => tcpCounters(end.ns, SENDER_REORDER_COUNTERS)));
    const ticksBefore = pids.map(helperTicks);

    const streams = [await startStream(left, right, dir, 'left-to-right'), await startStream(right, left, dir, 'right-to-left')];
    let now = before;
    // At most one initiation per REKEY_TIMEOUT (5 s) per end: REKEYS each take about 15-20 s.
    await waitFor(
      `${REKEYS} handshakes initiated by each end`,
      async () => {
        now = await Promise.all(ends.map(counters));
        return now.every((c, i) => c.handshake_responses_accepted - before[i].handshake_responses_accepted >= REKEYS);
      },
      120_000,
    ).catch((error: Error) => assert.fail(`${error.message}: ${JSON.stringify(now)} (before: ${JSON.stringify(before)})`));
    const results = await Promise.all(streams.map((s) => s.finish()));

    for (const [i, result] of results.entries()) {
      assert.ok(result.chunks > 0, `stream ${i}: nothing sent`);
      assert.equal(result.received, result.sent, `stream ${i}: ${result.chunks} MiB arrived changed, incomplete or out of order`);
    }
    const after = await Promise.all(ends.map(counters));
    for (const [i, end] of ends.entries()) {
      const d = Object.fromEntries(COUNTERS.map((name) => [name, after[i][name] - before[i][name]])) as Counters;
      // Each end answered the other's initiations too: both roles, both ends.
      assert.ok(d.handshake_initiations_accepted >= REKEYS, `${end.ifname} answered ${d.handshake_initiations_accepted} initiations`);
      // A session mixed up between workers fails authentication; a counter sealed twice is a replay.
      assert.deepEqual(
        { auth: d.dropped_auth_failed, replayed: d.dropped_replayed, expired: d.dropped_expired_key },
        { auth: 0, replayed: 0, expired: 0 },
        `${end.ifname}: packets dropped by the rekeys`,
      );
      assert.ok((await latestHandshake(end)) > handshakesBefore[i], `${end.ifname}: wg show latest-handshakes did not advance`);
      // Not the receiver's out-of-order queue: crossing initiations legitimately lose the
      // packets in flight on the keypair they retire (kernel add_new_keypair), and a loss
      // queues the segments behind it; a segment that arrives late is what the sender counts.
      assert.deepEqual(difference(await tcpCounters(end.ns, SENDER_REORDER_COUNTERS), reorderBefore[i]), { TcpExtTCPSACKReorder: 0, TcpExtTCPTSReorder: 0, TcpExtTCPRenoReorder: 0 }, `${end.ifname}: TCP saw reordering`);
      assert.ok(helperTicks(pids[i]) > ticksBefore[i], `${end.ifname}: the crypto helpers did no work`);
    }
  });
});
