// bench:allowedips — a full Internet table through the UAPI, viaguardd and wireguard-go side by
// side in the same run: 1,000,000 IPv4 + 100,000 IPv6 prefixes over four peers. For each daemon:
// the time to set them (one streamed set request), the resident memory added per prefix, the
// time to dump them with get=1, the time to remove 100,000 one by one (allowed_ip=-PREFIX), and
// the longest pause of traffic through the same daemon while the bulk set runs (a ping every
// 2 ms through its tunnel to a wireguard-go peer).
// Usage: sudo npm run bench:allowedips [-- --only viaguardd]
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { PrefixBatch } from '../src/native/prefix-batch.js';
import { buildInternetTable } from '../src/testing/internet-table.js';
import { prng } from '../src/testing/prng.js';
import { createTunnelPair, daemonPid, residentBytes, viaguardd, wireguardGo, type TunnelPair } from '../src/testing/tunnel-pair.js';
import { setRequestChunks, UapiClient } from '../src/uapi/client.js';

const IPV4 = 1_000_000;
const IPV6 = 100_000;
const PEERS = 4;
const REMOVALS = 100_000;
const PING_INTERVAL_MS = 2;

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const impls = [wireguardGo, viaguardd].filter((i) => !values.only || i.label === values.only);

console.log(`building ${IPV4} IPv4 + ${IPV6} IPv6 prefixes over ${PEERS} peers (seeded)...`);
const table = buildInternetTable(prng(7), IPV4, IPV6, PEERS);
const peerKeys = Array.from({ length: PEERS }, () => randomBytes(32).toString('hex'));
const setRequest = renderSet(setLines(table, table.length, ''));
const removeRequest = renderSet(setLines(table, REMOVALS, '-'));
console.log(`set request ${(setRequest.reduce((n, c) => n + c.length, 0) / 2 ** 20).toFixed(1)} MiB; the clock runs from its first byte to the daemon's errno`);

/** public_key= then the peer's allowed_ip lines, peer after peer; `-` for removals. */
function* setLines(batch: PrefixBatch, limit: number, sign: '' | '-'): Generator<string> {
  for (let peer = 1; peer <= PEERS; peer++) {
    yield `public_key=${peerKeys[peer - 1]}`;
    for (let i = 0; i < limit; i++) if (batch.peerIdAt(i) === peer) yield `allowed_ip=${sign}${batch.formatAt(i)}`;
  }
}

/** The whole set request as ~64 KiB chunks, rendered before the clock starts. */
function renderSet(lines: Iterable<string>): Buffer[] {
  return Array.from(setRequestChunks(lines), (chunk) => Buffer.from(chunk, 'latin1'));
}

/** Sends a rendered set request; resolves with the errno answered. */
function sendSet(ifname: string, chunks: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(`/var/run/wireguard/${ifname}.sock`);
    let reply = '';
    socket.on('data', (d: Buffer) => {
      reply += d.toString();
      const match = /^errno=(-?\d+)\n\n/.exec(reply);
      if (match) {
        socket.destroy();
        resolve(Number(match[1]));
      }
    });
    socket.on('error', reject);
    void (async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
      }
    })();
  });
}

/** Milliseconds until a raw get=1 reply has fully arrived, and its allowed_ip line count. */
function timeDump(ifname: string): Promise<{ ms: number; allowedIps: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(`/var/run/wireguard/${ifname}.sock`);
    let tail = '';
    let allowedIps = 0;
    const start = performance.now();
    socket.on('data', (chunk: Buffer) => {
      const text = tail + chunk.toString('latin1');
      const lastNewline = text.lastIndexOf('\n');
      for (let at = text.indexOf('allowed_ip=', 0); at !== -1 && at < lastNewline; at = text.indexOf('allowed_ip=', at + 11)) allowedIps++;
      tail = text.slice(lastNewline + 1);
      if (text.endsWith('errno=0\n\n')) {
        socket.destroy();
        resolve({ ms: performance.now() - start, allowedIps });
      }
    });
    socket.on('error', reject);
    socket.write('get=1\n\n');
  });
}

/** Starts pinging through the tunnel; stop() returns the longest gap between replies in the window. */
function pinger(pair: TunnelPair): { stop(from: number, to: number): Promise<{ longestGapMs: number; lost: number }> } {
  const ping = pair.right.ns.spawn('ping', ['-D', '-n', '-i', String(PING_INTERVAL_MS / 1000), pair.left.tunnel4]);
  let out = '';
  ping.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return {
    async stop(from, to) {
      const exited = new Promise((resolve) => ping.once('exit', resolve));
      ping.kill('SIGINT');
      await exited;
      const replies = [...out.matchAll(/^\[(\d+\.\d+)\] .* icmp_seq=(\d+)/gm)].map((m) => ({ at: Number(m[1]) * 1000, seq: Number(m[2]) }));
      const window = replies.filter((r) => r.at >= from - 50 && r.at <= to + 50);
      let longestGapMs = 0;
      for (let i = 1; i < window.length; i++) longestGapMs = Math.max(longestGapMs, window[i].at - window[i - 1].at);
      const lost = window.length ? window[window.length - 1].seq - window[0].seq + 1 - window.length : 0;
      return { longestGapMs, lost };
    },
  };
}

interface Figures {
  setMs: number;
  bytesPerPrefix: number;
  dumpMs: number;
  removeMs: number | undefined;
  longestPauseMs: number;
  lost: number;
}

async function measure(pair: TunnelPair): Promise<Figures> {
  const { left } = pair;
  await left.ns.exec('ping', ['-c', '1', '-W', '5', pair.right.tunnel4]);
  const pid = await daemonPid(left);
  const rssBefore = residentBytes(pid);
  const client = new UapiClient(left.ifname);

  const ping = pinger(pair);
  await new Promise((r) => setTimeout(r, 500));
  const wallStart = Date.now();
  const start = performance.now();
  const errno = await sendSet(left.ifname, setRequest);
  const setMs = performance.now() - start;
  const wallEnd = Date.now();
  await new Promise((r) => setTimeout(r, 300));
  const pause = await ping.stop(wallStart, wallEnd);
  if (errno !== 0) throw new Error(`${left.impl.label}: set answered errno=${errno}`);

  await new Promise((r) => setTimeout(r, 1000));
  const bytesPerPrefix = (residentBytes(pid) - rssBefore) / table.length;
  const dump = await timeDump(left.ifname);
  if (dump.allowedIps < table.length) throw new Error(`${left.impl.label}: dump holds ${dump.allowedIps} prefixes, ${table.length} expected`);

  // Daemons without allowed_ip=-PREFIX (Debian's wireguard-go) refuse one line and hang up.
  let removeMs: number | undefined;
  if ((await client.set([`public_key=${peerKeys[0]}`, 'allowed_ip=-192.0.2.0/24'])) === 0) {
    const removeStart = performance.now();
    const removeErrno = await sendSet(left.ifname, removeRequest);
    if (removeErrno !== 0) throw new Error(`${left.impl.label}: removals answered errno=${removeErrno}`);
    removeMs = performance.now() - removeStart;
  }
  return { setMs, bytesPerPrefix, dumpMs: dump.ms, removeMs, longestPauseMs: pause.longestGapMs, lost: pause.lost };
}

const results = new Map<string, Figures>();
for (const [index, impl] of impls.entries()) {
  const pair = await createTunnelPair(impl, wireguardGo, { index: 60 + index });
  try {
    const f = await measure(pair);
    results.set(impl.label, f);
    console.log(
      `${impl.label.padEnd(13)} set ${f.setMs.toFixed(0)} ms, ${f.bytesPerPrefix.toFixed(0)} B/prefix resident, ` +
        `dump ${f.dumpMs.toFixed(0)} ms, remove ${REMOVALS} one by one ${f.removeMs === undefined ? 'unsupported (errno=-22)' : `${f.removeMs.toFixed(0)} ms`}, ` +
        `longest traffic pause during the set ${f.longestPauseMs.toFixed(0)} ms (${f.lost} pings lost)`,
    );
  } finally {
    await pair.destroy();
  }
}

const figures: Record<string, number | null> = {};
for (const [label, f] of results) {
  const key = label.replace(/-/g, '_');
  figures[`${key}_set_ms`] = Math.round(f.setMs);
  figures[`${key}_bytes_per_prefix`] = Math.round(f.bytesPerPrefix);
  figures[`${key}_dump_ms`] = Math.round(f.dumpMs);
  figures[`${key}_remove_100k_ms`] = f.removeMs === undefined ? null : Math.round(f.removeMs);
  figures[`${key}_longest_pause_ms`] = Math.round(f.longestPauseMs);
}
const ours = results.get('viaguardd');
const theirs = results.get('wireguard-go');
if (ours && theirs) {
  figures.set_time_ratio = Number((ours.setMs / theirs.setMs).toFixed(2));
  figures.memory_ratio = Number((ours.bytesPerPrefix / theirs.bytesPerPrefix).toFixed(2));
  figures.dump_time_ratio = Number((ours.dumpMs / theirs.dumpMs).toFixed(2));
  console.log(`viaguardd / wireguard-go: set time ${figures.set_time_ratio}x, memory per prefix ${figures.memory_ratio}x, dump time ${figures.dump_time_ratio}x`);
}
console.log(JSON.stringify(figures));
