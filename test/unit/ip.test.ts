import assert from 'node:assert/strict';
import { formatIp, formatPrefix, maskPrefix, parseIp, parsePrefix } from '../../src/net/ip.js';

describe('net/ip', () => {
  it('round-trips IPv4 and IPv6 addresses in canonical form', () => {
    for (const [input, canonical] of [
      ['10.0.0.1', '10.0.0.1'],
      ['0.0.0.0', '0.0.0.0'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::1', 'fe80::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ]) {
      const addr = parseIp(input);
      assert.ok(addr, input);
      assert.equal(formatIp(addr), canonical);
    }
  });

  it('rejects malformed addresses and prefixes', () => {
    for (const bad of ['', '1.2.3', '256.1.1.1', '1.2.3.4.5', ':::', '1::2::3', 'g::1', ' 1.2.3.4']) {
      assert.equal(parseIp(bad), undefined, bad);
    }
    for (const bad of ['1.2.3.4/33', '::/129', '1.2.3.4/', '1.2.3.4/-1', '1.2.3.4/ 8', '1.2.3.4/0x8', 'x/8']) {
      assert.equal(parsePrefix(bad), undefined, bad);
    }
  });

  it('parses a bare address as a host prefix and masks host bits', () => {
    assert.equal(parsePrefix('10.1.2.3')?.cidr, 32);
    assert.equal(parsePrefix('fd00::1')?.cidr, 128);
    const masked = maskPrefix(parsePrefix('10.1.2.3/12')!);
    assert.equal(formatPrefix(masked), '10.0.0.0/12');
    assert.equal(formatPrefix(maskPrefix(parsePrefix('fd12:3456:789a::1/33')!)), 'fd12:3456::/33');
    assert.equal(formatPrefix(maskPrefix(parsePrefix('1.2.3.4/0')!)), '0.0.0.0/0');
  });
});
