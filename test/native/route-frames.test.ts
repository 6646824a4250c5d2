// Route mode's frame handling against the real kernel: the MAC derivation, and the ARP replies
// and Neighbour Advertisements the data plane builds (the kernel only takes them, and tcpdump
// only calls their checksums good, when every field is right). The TAP device is created here
// and moved into a throwaway namespace, where its fd keeps working.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { blake2s } from '@noble/hashes/blake2.js';
import { AllowedIps } from '../../src/native/allowedips.js';
import { DataPlane, formatMac, peerMac } from '../../src/native/dataplane.js';
import { Namespace, run } from '../../src/testing/netns.js';
import { requireTools } from '../../src/testing/require-tools.js';
import { requireRoot } from '../support/run.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('route mode peer MACs', () => {
  it('are the first 6 bytes of BLAKE2s-256(public key), locally administered unicast', () => {
    for (let i = 0; i < 64; i++) {
      const key = randomBytes(32);
      const expected = Uint8Array.from(blake2s(key, { dkLen: 32 }).subarray(0, 6));
      expected[0] = (expected[0] & 0xfe) | 0x02;
      const mac = peerMac(key);
      assert.deepEqual(mac, expected);
      assert.equal(mac[0] & 0x03, 0x02);
      assert.deepEqual(peerMac(key), mac, 'stable');
    }
    assert.equal(formatMac(Uint8Array.of(0x02, 0, 0xab, 1, 2, 0xff)), '02:00:ab:01:02:ff');
    assert.throws(() => peerMac(new Uint8Array(31)), RangeError);
  });
});

describe('route mode ARP/NDP answers (TAP data plane)', function () {
  this.timeout(30_000);
  const ifname = `rtf${randomBytes(3).toString('hex')}`;
  const key1 = randomBytes(32);
  let ns: Namespace | undefined;
  let dp: DataPlane | undefined;
  let allowed: AllowedIps;

  before(async () => {
    requireRoot();
    requireTools('tcpdump', 'ping', 'ip');
    allowed = new AllowedIps();
    dp = new DataPlane({ tunName: ifname, tap: true, mtu: 1420, allowedIps: allowed }, () => undefined);
    assert.equal(dp.ethernet, true);
    dp.addPeer(1);
    dp.setPeerMac(1, peerMac(key1));
    allowed.insert('100.65.0.2/32', 1);
    allowed.insert('fd65::2/128', 1);
    allowed.insert('fd65::5/128', 1);
    ns = await Namespace.create('rtf');
    await run('ip', ['link', 'set', 'dev', ifname, 'netns', ns.name]);
    await ns.exec('ip', ['addr', 'add', '100.65.0.1/24', 'dev', ifname]);
    await ns.exec('ip', ['addr', 'add', 'fd65::1/64', 'dev', ifname, 'nodad']);
    await ns.exec('ip', ['link', 'set', ifname, 'up']);
  });

  after(async () => {
    dp?.close();
    await ns?.destroy();
  });

  async function neighbour(address: string): Promise<{ lladdr?: string; state?: string[] } | undefined> {
    return (JSON.parse(await ns!.exec('ip', ['-j', 'neigh', 'show', address, 'dev', ifname])) as { lladdr?: string; state?: string[] }[])[0];
  }

  it('answers ARP for an owned address with the owner\'s MAC, and counts what it cannot answer', async () => {
    const before = dp!.counters();
    await ns!.exec('ping', ['-c', '1', '-W', '1', '100.65.0.2']).catch(() => '');
    assert.equal((await neighbour('100.65.0.2'))?.lladdr, formatMac(peerMac(key1)));
    await ns!.exec('ping', ['-c', '1', '-W', '1', '100.65.0.9']).catch(() => '');
    await sleep(200);
    const after = dp!.counters();
    assert.ok(after.neighbourReplies > before.neighbourReplies);
    assert.ok(after.neighbourUnanswered > before.neighbourUnanswered, 'no owner, no answer');
    assert.ok(after.droppedNoEndpoint > before.droppedNoEndpoint, 'the ping went to the peer, which has no endpoint');
    assert.notEqual((await neighbour('100.65.0.9'))?.lladdr, formatMac(peerMac(key1)));
  });

  it('answers Neighbour Solicitations with a valid Neighbour Advertisement (checksum checked by tcpdump)', async () => {
    // Only the solicitation our ping causes (from fd65::1) and the answer (from fd65::2): the
    // kernel's own DAD probes (from ::) and router solicitations must not fill the two slots.
    const filter = 'icmp6 and ((src fd65::1 and ip6[40] == 135) or (src fd65::2 and ip6[40] == 136))';
    const capture = spawn('ip', ['netns', 'exec', ns!.name, 'tcpdump', '-l', '-n', '-vv', '-i', ifname, '-c', '2', filter], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    capture.stdout.on('data', (d: Buffer) => (text += d.toString()));
    const done = new Promise<void>((resolve) => capture.on('exit', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      let log = '';
      capture.stderr.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('listening on')) resolve();
      });
      capture.once('exit', () => reject(new Error(`tcpdump ended before capturing: ${log.trim()}`)));
    });
    await ns!.exec('ping', ['-6', '-c', '1', '-W', '1', 'fd65::2']).catch(() => '');
    await Promise.race([done, sleep(5000)]);
    capture.kill();
    assert.match(text, /neighbor solicitation, .*who has fd65::2/);
    assert.match(text, /fd65::2 > fd65::1: \[icmp6 sum ok\] ICMP6, neighbor advertisement, .*tgt is fd65::2, Flags \[solicited, override\]/);
    assert.match(text, new RegExp(`link-address option \\(2\\), length 8 \\(1\\): ${formatMac(peerMac(key1))}`));
    assert.doesNotMatch(text, /bad/i, text);
    assert.equal((await neighbour('fd65::2'))?.lladdr, formatMac(peerMac(key1)));
  });

  it('leaves duplicate address detection unanswered, so our own addresses stay valid', async () => {
    await ns!.exec('ip', ['addr', 'add', 'fd65::5/64', 'dev', ifname]);
    await sleep(2500);
    const out = await ns!.exec('ip', ['-6', 'addr', 'show', 'dev', ifname]);
    assert.match(out, /fd65::5\/64/);
    assert.doesNotMatch(out, /dadfailed/, out);
  });
});
