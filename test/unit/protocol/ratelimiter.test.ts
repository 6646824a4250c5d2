import assert from 'node:assert/strict';
import { LoadMonitor, Ratelimiter } from '../../../src/protocol/ratelimiter.js';
import { parseIp, type IpAddress } from '../../../src/net/ip.js';

const ip = (s: string): IpAddress => parseIp(s) as IpAddress;

describe('protocol ratelimiter', () => {
  it('allows a burst of 5 then 20 per second per source', () => {
    const rl = new Ratelimiter();
    const results = Array.from({ length: 8 }, () => rl.allow(ip('192.0.2.1'), 0));
    assert.deepEqual(results, [true, true, true, true, true, false, false, false]);
    assert.equal(rl.allow(ip('192.0.2.2'), 0), true, 'another source has its own bucket');
    assert.equal(rl.allow(ip('192.0.2.1'), 49), false);
    assert.equal(rl.allow(ip('192.0.2.1'), 50), true, 'one token per 50 ms');
    let allowed = 0;
    for (let t = 100; t < 1100; t += 10) if (rl.allow(ip('192.0.2.1'), t)) allowed++;
    assert.equal(allowed, 20);
  });

  it('groups IPv6 sources by /64 and forgets idle sources', () => {
    const rl = new Ratelimiter();
    for (let i = 0; i < 5; i++) assert.ok(rl.allow(ip(`2001:db8:1:2::${i + 1}`), 0));
    assert.equal(rl.allow(ip('2001:db8:1:2:ffff::1'), 0), false, 'same /64');
    assert.equal(rl.allow(ip('2001:db8:1:3::1'), 0), true, 'next /64');
    assert.equal(rl.size, 2);
    rl.allow(ip('192.0.2.9'), 5000);
    assert.equal(rl.size, 1, 'idle buckets collected');
  });

  it('refuses new sources beyond its capacity', () => {
    const rl = new Ratelimiter(2);
    assert.ok(rl.allow(ip('192.0.2.1'), 0));
    assert.ok(rl.allow(ip('192.0.2.2'), 0));
    assert.equal(rl.allow(ip('192.0.2.3'), 0), false);
  });

  it('is under load from N queued handshakes and for 1 s after', () => {
    const load = new LoadMonitor(128);
    assert.equal(load.update(127, 0), false);
    assert.equal(load.update(128, 100), true);
    assert.equal(load.update(0, 1099), true);
    assert.equal(load.update(0, 1100), false);
    assert.equal(load.update(0, 1101), false);
    assert.throws(() => new LoadMonitor(0), RangeError);
  });
});
