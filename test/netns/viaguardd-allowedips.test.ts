// Full-table AllowedIPs on a running viaguardd: incremental changes, a million-line set that is
// rejected whole by one bad line, and watchers that hang up mid-stream.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { Namespace } from '../../src/testing/netns.js';
import { VIAGUARDD_PATH } from '../../src/testing/tunnel-pair.js';
import { UapiClient } from '../../src/uapi/client.js';
import { requireRoot, uniqueName } from '../support/run.js';

const PEER_A = 'a'.repeat(64);
const PEER_B = 'b'.repeat(64);

function* prefixes(count: number, second: number): Generator<string> {
  for (let i = 0; i < count; i++) yield `allowed_ip=${second}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;
}

describe('viaguardd AllowedIPs at full-table scale', function () {
  this.timeout(120_000);
  let ns: Namespace;
  let ifname: string;
  let daemon: ChildProcess;
  let log = '';
  let client: UapiClient;

  const allowedIps = async () => {
    const status = await client.get();
    return new Map(status.peers.map((p) => [Buffer.from(p.publicKey).toString('hex'), [...p.allowedIps].length]));
  };
  const dumpOf = async (key: string) => {
    const peer = (await client.get()).peers.find((p) => Buffer.from(p.publicKey).toString('hex') === key);
    return peer ? Array.from({ length: peer.allowedIps.length }, (_, i) => peer.allowedIps.formatAt(i)) : [];
  };

  before(async () => {
    requireRoot();
    ns = await Namespace.create('vgaip');
    ifname = uniqueName('vgaip');
    daemon = ns.spawn(process.execPath, [VIAGUARDD_PATH, '-f', ifname], { ...process.env, LOG_LEVEL: 'error' });
    daemon.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!existsSync(`/var/run/wireguard/${ifname}.sock`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    client = new UapiClient(ifname);
  });
  after(async () => ns.destroy());

  it('adds and removes single prefixes without touching the others', async () => {
    assert.equal(await client.set([`public_key=${PEER_A}`, 'allowed_ip=10.0.0.0/8', 'allowed_ip=10.1.0.0/16', `public_key=${PEER_B}`, 'allowed_ip=192.168.0.0/16']), 0);
    assert.equal(await client.set([`public_key=${PEER_A}`, 'allowed_ip=172.16.0.0/12']), 0);
    assert.deepEqual(await dumpOf(PEER_A), ['10.0.0.0/8', '10.1.0.0/16', '172.16.0.0/12']);
    assert.equal(await client.set([`public_key=${PEER_A}`, 'allowed_ip=-10.1.0.0/16', 'allowed_ip=-192.168.0.0/16']), 0);
    assert.deepEqual(await dumpOf(PEER_A), ['10.0.0.0/8', '172.16.0.0/12'], 'only what A owns exactly goes');
    assert.deepEqual(await dumpOf(PEER_B), ['192.168.0.0/16'], "B's prefix stays: A does not own it");
  });

  it('rejects a million-line set with one bad prefix whole, with errno=-22 and a log line naming the line', async () => {
    const before = await allowedIps();
    const lines = (function* () {
      yield `public_key=${PEER_A}`;
      let n = 0;
      for (const line of prefixes(1_000_000, 20)) {
        if (++n === 700_000) yield 'allowed_ip=10.0.0.300/32';
        yield line;
      }
    })();
    log = '';
    assert.equal(await client.set(lines), -22);
    assert.deepEqual(await allowedIps(), before, 'the previous AllowedIPs stay exactly as they were');
    // Line 1 is set=1, line 2 the public_key, then 699,999 good prefixes before the bad one.
    await new Promise((r) => setTimeout(r, 200));
    assert.match(log, /ERROR \(\w+\) UAPI request failed: line 700002: allowed_ip: expected an IP prefix .*"10\.0\.0\.300\/32"/);
  });

  it('applies a million-line set, streams it back, and survives watchers that hang up mid-stream', async () => {
    const watchers = Array.from({ length: 5 }, () => {
      const socket = connect(`/var/run/wireguard/${ifname}.sock`);
      socket.write('watch=1\n\n');
      socket.on('error', () => undefined);
      return socket;
    });
    await new Promise((r) => setTimeout(r, 200));
    // Many small sets, so events flow while watchers vanish.
    for (let round = 0; round < 50; round++) {
      const key = (round + 1).toString(16).padStart(64, 'c');
      assert.equal(await client.set([`public_key=${key}`, `allowed_ip=100.64.${round}.0/24`]), 0);
      if (round % 10 === 5) watchers.pop()!.destroy();
    }
    assert.equal(await client.set([`public_key=${PEER_B}`, ...prefixes(1_000_000, 30)]), 0);
    const counts = await allowedIps();
    assert.equal(counts.get(PEER_B), 1_000_001);
    assert.equal(counts.get(PEER_A), 2);
    for (const w of watchers) w.destroy();
    assert.equal(await client.set(['replace_peers=true']), 0);
    assert.equal((await client.get()).peers.length, 0);
    assert.equal(daemon.exitCode, null, 'the daemon is still running');
  });
});
