import assert from 'node:assert/strict';
import { endpointHost, formatEndpoint, parseIpEndpoint } from '../../src/config/endpoint.js';

describe('config/endpoint: IP endpoints with IPv6 zones', () => {
  it('keeps a zone through parse and format, as the UAPI and wg write it', () => {
    for (const text of ['[fe80::1%eth0]:51820', '[fe80::1%3]:1', '192.0.2.1:51820', '[2001:db8::1]:65535']) {
      const endpoint = parseIpEndpoint(text);
      assert.ok(endpoint, text);
      assert.equal(formatEndpoint(endpoint), text);
    }
    assert.equal(parseIpEndpoint('[fe80::1%eth0]:51820')?.scope, 'eth0');
    assert.equal(endpointHost(parseIpEndpoint('[fe80::1%eth0]:51820')!), 'fe80::1%eth0');
    assert.equal(parseIpEndpoint('192.0.2.1:51820')?.scope, undefined);
  });

  it('refuses empty or malformed zones and zones on IPv4', () => {
    for (const text of ['[fe80::1%]:51820', '[fe80::1%a b]:51820', '[fe80::1%very-long-interface-name]:1', '192.0.2.1%eth0:51820']) {
      assert.equal(parseIpEndpoint(text), undefined, text);
    }
  });
});
