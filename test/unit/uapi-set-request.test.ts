import assert from 'node:assert/strict';
import { keyToHex } from '../../src/config/keys.js';
import { formatIp, formatPrefix } from '../../src/net/ip.js';
import { UAPI_ERRNO, UapiError } from '../../src/uapi/errors.js';
import { formatSetTransaction } from '../../src/uapi/set-format.js';
import { parseSetRequest, SetRequestParser, type SetTransaction } from '../../src/uapi/set-request.js';

const K1 = 'e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a';
const K2 = '58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376';
const PSK = '188515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52';
const ZERO = '0'.repeat(64);

function errorOf(request: string): UapiError {
  try {
    parseSetRequest(request);
  } catch (error) {
    assert.ok(error instanceof UapiError, String(error));
    return error;
  }
  assert.fail(`expected a UapiError for ${JSON.stringify(request)}`);
}

function runs(tx: SetTransaction, peer = 0): [boolean, string[]][] {
  return tx.peers[peer].allowedIps.map((run) => [run.remove, [...run.prefixes].map(formatPrefix)]);
}

describe('uapi/set-request', () => {
  it('parses every device and peer key', () => {
    const tx = parseSetRequest(
      [
        `private_key=${K1}`,
        'listen_port=51820',
        'fwmark=0',
        'replace_peers=true',
        'source_check=route',
        `public_key=${K2}`,
        'update_only=true',
        `preshared_key=${PSK}`,
        'endpoint=[fd00::1]:51820',
        'persistent_keepalive_interval=25',
        'replace_allowed_ips=true',
        'protocol_version=1',
        'allowed_ip=10.0.0.0/8',
        'allowed_ip=fd00::/64',
        'allowed_ip=-10.1.0.0/16',
        'allowed_ip=10.2.0.0/16',
        `public_key=${K1}`,
        'endpoint=192.0.2.1:1',
        '',
        'ignored after the blank line',
      ].join('\n'),
    );
    assert.equal(keyToHex(tx.privateKey!), K1);
    assert.equal(tx.listenPort, 51820);
    assert.equal(tx.fwmark, 0);
    assert.equal(tx.replacePeers, true);
    assert.equal(tx.sourceCheck, 'route');
    assert.equal(tx.peers.length, 2);
    const [p, q] = tx.peers;
    assert.equal(keyToHex(p.publicKey), K2);
    assert.equal(p.line, 7);
    assert.equal(p.updateOnly, true);
    assert.equal(p.remove, false);
    assert.equal(keyToHex(p.presharedKey!), PSK);
    assert.equal(formatIp(p.endpoint!.address), 'fd00::1');
    assert.equal(p.endpoint!.port, 51820);
    assert.equal(p.persistentKeepaliveInterval, 25);
    assert.equal(p.replaceAllowedIps, true);
    assert.deepEqual(runs(tx), [
      [false, ['10.0.0.0/8', 'fd00::/64']],
      [true, ['10.1.0.0/16']],
      [false, ['10.2.0.0/16']],
    ]);
    assert.equal(formatIp(q.endpoint!.address), '192.0.2.1');
    assert.equal(q.line, 18);
    assert.equal(q.replaceAllowedIps, false);
  });

  it('applies replace_allowed_ips and remove in line order', () => {
    const replaced = parseSetRequest(`public_key=${K1}\nallowed_ip=10.0.0.0/8\nreplace_allowed_ips=true\nallowed_ip=10.9.9.9/32\n`);
    assert.deepEqual(runs(replaced), [[false, ['10.9.9.9/32']]]);
    const removed = parseSetRequest(`public_key=${K1}\npreshared_key=${PSK}\nallowed_ip=10.0.0.0/8\nremove=true\nendpoint=1.2.3.4:5\nallowed_ip=10.1.0.0/16\n`);
    assert.equal(removed.peers[0].remove, true);
    assert.equal(removed.peers[0].presharedKey, undefined);
    assert.equal(removed.peers[0].endpoint, undefined);
    assert.deepEqual(runs(removed), []);
    // Lines after remove=true are still checked, as wireguard-go does.
    assert.equal(errorOf(`public_key=${K1}\nremove=true\nendpoint=nowhere`).errno, UAPI_ERRNO.EINVAL);
  });

  it('keeps zero keys (they clear), clamps private keys, clears host bits of prefixes', () => {
    const tx = parseSetRequest(`private_key=${ZERO}\npublic_key=${K1}\npreshared_key=${ZERO}\nallowed_ip=10.1.2.3/8\n`);
    assert.equal(keyToHex(tx.privateKey!), ZERO);
    assert.equal(keyToHex(tx.peers[0].presharedKey!), ZERO);
    assert.deepEqual(runs(tx), [[false, ['10.0.0.0/8']]]);
    const clamped = parseSetRequest(`private_key=${'f'.repeat(64)}`);
    assert.equal(keyToHex(clamped.privateKey!), `f8${'f'.repeat(60)}7f`);
  });

  it('rejects bad lines with the errno and line wireguard-go would give', () => {
    const cases: [string, number, string][] = [
      ['listen_port', UAPI_ERRNO.EPROTO, 'line 2: expected key=value, got "listen_port"'],
      ['listen_port=65536', UAPI_ERRNO.EINVAL, 'line 2: listen_port: expected a port 0-65535, got "65536"'],
      ['listen_port=-1', UAPI_ERRNO.EINVAL, 'line 2: listen_port: expected a port 0-65535, got "-1"'],
      ['listen_port= 1', UAPI_ERRNO.EINVAL, 'line 2: listen_port: expected a port 0-65535, got " 1"'],
      ['fwmark=0x10', UAPI_ERRNO.EINVAL, 'line 2: fwmark: expected a decimal mark 0-4294967295, got "0x10"'],
      ['fwmark=4294967296', UAPI_ERRNO.EINVAL, 'line 2: fwmark: expected a decimal mark 0-4294967295, got "4294967296"'],
      [`private_key=${K1.slice(1)}`, UAPI_ERRNO.EINVAL, `line 2: private_key: expected 64 hex digits, got "${K1.slice(1)}"`],
      ['replace_peers=false', UAPI_ERRNO.EINVAL, 'line 2: replace_peers: expected true, got "false"'],
      ['source_check=loose', UAPI_ERRNO.EINVAL, 'line 2: source_check: expected allowed-ips, route, off, got "loose"'],
      ['peer_selection=route', UAPI_ERRNO.EINVAL, 'line 2: "peer_selection" is not a device key'],
      ['viaguard_frobnicate=1', UAPI_ERRNO.EINVAL, 'line 2: "viaguard_frobnicate" is not a device key'],
      ['allowed_ip=10.0.0.0/8', UAPI_ERRNO.EINVAL, 'line 2: "allowed_ip" is not a device key (a peer key before any public_key)'],
      ['protocol_version=1', UAPI_ERRNO.EINVAL, 'line 2: "protocol_version" is not a device key (a peer key before any public_key)'],
      [`public_key=${K1}\nlisten_port=1`, UAPI_ERRNO.EINVAL, 'line 3: "listen_port" is not a peer key (a device key after a public_key)'],
      [`public_key=${K1}\nbogus=1`, UAPI_ERRNO.EINVAL, 'line 3: "bogus" is not a peer key'],
      ['public_key=xyz', UAPI_ERRNO.EINVAL, 'line 2: public_key: expected 64 hex digits, got "xyz"'],
      [`public_key=${K1}\nremove=1`, UAPI_ERRNO.EINVAL, 'line 3: remove: expected true, got "1"'],
      [`public_key=${K1}\nupdate_only=false`, UAPI_ERRNO.EINVAL, 'line 3: update_only: expected true, got "false"'],
      [`public_key=${K1}\npreshared_key=00`, UAPI_ERRNO.EINVAL, 'line 3: preshared_key: expected 64 hex digits, got "00"'],
      [`public_key=${K1}\nendpoint=fd00::1:51820`, UAPI_ERRNO.EINVAL, 'line 3: endpoint: expected IPv4:port or [IPv6]:port, got "fd00::1:51820"'],
      [`public_key=${K1}\nendpoint=example.com:1`, UAPI_ERRNO.EINVAL, 'line 3: endpoint: expected IPv4:port or [IPv6]:port, got "example.com:1"'],
      [`public_key=${K1}\npersistent_keepalive_interval=65536`, UAPI_ERRNO.EINVAL, 'line 3: persistent_keepalive_interval: expected seconds 0-65535, got "65536"'],
      [`public_key=${K1}\nreplace_allowed_ips=yes`, UAPI_ERRNO.EINVAL, 'line 3: replace_allowed_ips: expected true, got "yes"'],
      [`public_key=${K1}\nallowed_ip=10.0.0.1`, UAPI_ERRNO.EINVAL, 'line 3: allowed_ip: expected an IP prefix like 10.0.0.0/8, or -PREFIX to remove one, got "10.0.0.1"'],
      [`public_key=${K1}\nallowed_ip=10.0.0.0/33`, UAPI_ERRNO.EINVAL, 'line 3: allowed_ip: expected an IP prefix like 10.0.0.0/8, or -PREFIX to remove one, got "10.0.0.0/33"'],
      [`public_key=${K1}\nallowed_ip=fe80::1%eth0/64`, UAPI_ERRNO.EINVAL, 'line 3: allowed_ip: expected an IP prefix like 10.0.0.0/8, or -PREFIX to remove one, got "fe80::1%eth0/64"'],
      [`public_key=${K1}\nallowed_ip=--10.0.0.0/8`, UAPI_ERRNO.EINVAL, 'line 3: allowed_ip: expected an IP prefix like 10.0.0.0/8, or -PREFIX to remove one, got "--10.0.0.0/8"'],
      [`public_key=${K1}\nprotocol_version=2`, UAPI_ERRNO.EINVAL, 'line 3: protocol_version: expected 1, got "2"'],
    ];
    for (const [request, errno, message] of cases) {
      const error = errorOf(request);
      assert.equal(error.message, message, request);
      assert.equal(error.errno, errno, request);
      assert.equal(error.line, Number(/^line (\d+)/.exec(message)![1]));
    }
  });

  it('keeps the first error and still counts lines', () => {
    const parser = new SetRequestParser();
    parser.line(`public_key=${K1}`);
    parser.line('allowed_ip=bad');
    parser.line('also bad');
    parser.fail(UAPI_ERRNO.EPROTO, 'line too long');
    assert.match(parser.failed!.message, /^line 3: allowed_ip/);
    assert.throws(() => parser.finish(), (error: UapiError) => error.line === 3 && error.errno === -22);
  });

  it('round-trips through formatSetTransaction', () => {
    const request = [
      `private_key=${K1}`,
      'listen_port=1',
      'fwmark=7',
      'replace_peers=true',
      'source_check=off',
      `public_key=${K2}`,
      'update_only=true',
      `preshared_key=${PSK}`,
      'endpoint=192.0.2.7:9',
      'persistent_keepalive_interval=0',
      'replace_allowed_ips=true',
      'allowed_ip=10.0.0.0/8',
      'allowed_ip=-10.1.0.0/16',
      `public_key=${K1}`,
      'remove=true',
    ];
    const tx = parseSetRequest(request);
    assert.deepEqual([...formatSetTransaction(tx)], request);
    assert.deepEqual(parseSetRequest(formatSetTransaction(tx)), tx);
  });
});
