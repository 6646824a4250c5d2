import assert from 'node:assert/strict';
import { endpointText, inetNtop } from '../../src/cli/inet-ntop.js';
import { parseIp } from '../../src/net/ip.js';

describe('cli/inet-ntop', () => {
  it('writes addresses as glibc inet_ntop does', () => {
    // Checked against glibc 2.36 (python3 socket.inet_ntop).
    const cases: [string, string][] = [
      ['10.1.2.3', '10.1.2.3'],
      ['::', '::'],
      ['::1', '::1'],
      ['::2', '::2'],
      ['1::', '1::'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['::ffff:10.0.0.1', '::ffff:10.0.0.1'],
      ['::ffff:0:0', '::ffff:0.0.0.0'],
      ['::ffff:0:1', '::ffff:0.0.0.1'],
      ['::10.0.0.1', '::10.0.0.1'],
      ['::1:0', '::0.1.0.0'],
      ['::ffff:1:2:3', '::ffff:1:2:3'],
      ['0:0:0:0:1:ffff:a00:1', '::1:ffff:a00:1'],
    ];
    for (const [input, text] of cases) assert.equal(inetNtop(parseIp(input)!), text, input);
  });

  it('brackets IPv6 endpoints', () => {
    assert.equal(endpointText({ address: parseIp('fd00::9')!, port: 5 }), '[fd00::9]:5');
    assert.equal(endpointText({ address: parseIp('192.0.2.1')!, port: 51820 }), '192.0.2.1:51820');
  });
});
