// `viaguard metrics` against live daemons: viaguardd at one end of a tunnel, wireguard-go at the
// other (wg's subset). The figures must be the ones `wg show` reports; --output replaces the file
// atomically and leaves it alone on failure; bad input is one line on stderr and exit status 1.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTunnelPair, VIAGUARD_PATH, viaguardd, wireguardGo, type TunnelEnd, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import { requireRoot, run, runOk, uniqueName } from '../support/run.js';

const metrics = (args: string[]) => run(process.execPath, [VIAGUARD_PATH, 'metrics', ...args]);

/** The value of one sample, found by its metric name and interface label. */
function samples(text: string, metric: string, ifname: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(`${metric}{interface="${ifname}"`));
}

async function wgShow(end: TunnelEnd, field: string): Promise<string[]> {
  return (await end.ns.exec('wg', ['show', end.ifname, field])).trim().split('\t');
}

describe('viaguard metrics (viaguardd and wireguard-go)', function () {
  this.timeout(60_000);
  let pair: TunnelPair | undefined;
  let dir = '';

  before(async () => {
    requireRoot();
    dir = await mkdtemp(join(tmpdir(), 'metrics-'));
    pair = await createTunnelPair(viaguardd, wireguardGo, { index: 61 });
    await pair.left.ns.exec('ping', ['-c', '3', '-i', '0.2', '-W', '5', pair.right.tunnel4]);
  });

  after(async () => {
    await pair?.destroy();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reports what wg show reports, with the exporter\'s labels, and viaguardd\'s own counters', async () => {
    const { left, right } = pair!;
    const result = await metrics([left.ifname]);
    assert.equal(result.code, 0, result.stderr);
    const [key, rx, tx] = await wgShow(left, 'transfer');
    const [, handshake] = await wgShow(left, 'latest-handshakes');
    const labels = `{interface="${left.ifname}",public_key="${key}",allowed_ips="${right.tunnel4}/32,${right.tunnel6}/128",endpoint="192.0.2.2:51821"}`;
    assert.deepEqual(samples(result.stdout, 'wireguard_sent_bytes_total', left.ifname), [`wireguard_sent_bytes_total${labels} ${tx}`]);
    assert.deepEqual(samples(result.stdout, 'wireguard_received_bytes_total', left.ifname), [`wireguard_received_bytes_total${labels} ${rx}`]);
    assert.deepEqual(samples(result.stdout, 'wireguard_latest_handshake_seconds', left.ifname), [`wireguard_latest_handshake_seconds${labels} ${handshake}`]);
    assert.ok(Number(tx) > 0 && Number(handshake) > 0);
    assert.deepEqual(samples(result.stdout, 'viaguard_handshakes_accepted_total', left.ifname), [`viaguard_handshakes_accepted_total{interface="${left.ifname}",message="response"} 1`]);
    assert.deepEqual(samples(result.stdout, 'viaguard_source_check_drops_total', left.ifname), [`viaguard_source_check_drops_total{interface="${left.ifname}",public_key="${key}"} 0`]);
    assert.match(result.stdout, new RegExp(`^viaguard_data_packets_sent_total\\{interface="${left.ifname}"\\} [1-9]`, 'm'));
  });

  it('reports wireguard-go\'s subset: wg\'s three metrics, nothing of viaguard\'s', async () => {
    const { right } = pair!;
    const result = await metrics([right.ifname]);
    assert.equal(result.code, 0, result.stderr);
    const [key, , tx] = await wgShow(right, 'transfer');
    assert.equal(samples(result.stdout, 'wireguard_sent_bytes_total', right.ifname).length, 1);
    assert.ok(result.stdout.includes(`public_key="${key}"`));
    assert.ok(result.stdout.includes(`} ${tx}\n`));
    assert.doesNotMatch(result.stdout, /^viaguard_/m);
  });

  it('lists both with "all"', async () => {
    const { left, right } = pair!;
    const out = await runOk(process.execPath, [VIAGUARD_PATH, 'metrics', 'all']);
    assert.equal(samples(out, 'wireguard_sent_bytes_total', left.ifname).length, 1);
    assert.equal(samples(out, 'wireguard_sent_bytes_total', right.ifname).length, 1);
  });

  it('--output replaces the file atomically (mode 0644, no temporary left) and leaves it as it was on failure', async () => {
    const { left } = pair!;
    const file = join(dir, 'viaguard.prom');
    await writeFile(file, 'old\n');
    const written = await metrics([left.ifname, '--output', file]);
    assert.deepEqual([written.code, written.stdout, written.stderr], [0, '', '']);
    assert.match(await readFile(file, 'utf8'), /^# HELP wireguard_sent_bytes_total /);
    assert.equal((await stat(file)).mode & 0o777, 0o644);
    assert.deepEqual(await readdir(dir), ['viaguard.prom']);

    const before = await readFile(file, 'utf8');
    const missing = uniqueName('nometr');
    const failed = await metrics([missing, '--output', file]);
    assert.equal(failed.code, 1);
    assert.equal(failed.stderr, `viaguard: no such interface: ${missing} (no daemon listening on /var/run/wireguard/${missing}.sock)\n`);
    assert.equal(await readFile(file, 'utf8'), before);
    assert.deepEqual(await readdir(dir), ['viaguard.prom']);
  });

  it('bad input: one line on stderr naming what and why, exit status 1', async () => {
    const { left } = pair!;
    const cases: [string[], RegExp][] = [
      [[join(dir, 'no', 'such', 'dir', 'x.prom')].flatMap((f) => [left.ifname, '--output', f]), /^viaguard: metrics: cannot write \S+x\.prom: no such directory \S+\/dir\n$/],
      [[left.ifname, '--output'], /^viaguard: metrics: --output needs a file name\n$/],
      [[left.ifname, 'extra'], /^viaguard: metrics: too many arguments; usage: /],
      [['--json'], /^viaguard: metrics: unknown option --json; usage: /],
      [['bad/name'], /^viaguard: .*bad\/name/],
    ];
    for (const [args, expected] of cases) {
      const result = await metrics(args);
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, expected);
      assert.equal(result.stderr.split('\n').length, 2, result.stderr);
      assert.equal(result.stdout, '');
    }
    const asNobody = await run('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, VIAGUARD_PATH, 'metrics', left.ifname]);
    assert.equal(asNobody.code, 1);
    assert.match(asNobody.stderr, new RegExp(`^viaguard: interface ${left.ifname}: permission denied on /var/run/wireguard/${left.ifname}\\.sock \\(run as root\\)\\n$`));
  });
});
