import assert from 'node:assert/strict';
import { keyFromHex } from '../../src/config/keys.js';
import { parseIp, parsePrefix } from '../../src/net/ip.js';
import { UAPI_ERRNO, UapiError } from '../../src/uapi/errors.js';
import { formatGetResponse, parseGetResponse, type UapiDeviceState } from '../../src/uapi/status.js';

const K1 = 'e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a';
const K2 = '58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376';
const PSK = '188515093e952f5f22e865cef3012e72f8b5f0b598ac0309d5dacce3b70fcf52';
const ZERO = '0'.repeat(64);

const STATUS: UapiDeviceState = {
  privateKey: keyFromHex(K1),
  listenPort: 51820,
  fwmark: 7,
  sourceCheck: 'route',
  peerSelection: 'route',
  extra: [['viaguard_version', '0.1.0']],
  peers: [
    {
      publicKey: keyFromHex(K2)!,
      presharedKey: keyFromHex(PSK),
      endpoint: { address: parseIp('fd00::1')!, port: 4 },
      lastHandshakeTimeSec: 1700000000,
      lastHandshakeTimeNsec: 123,
      txBytes: 18446744073709551615n,
      rxBytes: 5n,
      persistentKeepaliveInterval: 25,
      allowedIps: [parsePrefix('10.0.0.0/8')!, parsePrefix('fd00::/64')!],
      extra: [['mac', '02:00:00:00:00:01']],
    },
    {
      publicKey: keyFromHex(K1)!,
      lastHandshakeTimeSec: 0,
      lastHandshakeTimeNsec: 0,
      txBytes: 0n,
      rxBytes: 0n,
      persistentKeepaliveInterval: 0,
      allowedIps: [],
    },
  ],
};

const LINES = [
  `private_key=${K1}`,
  'listen_port=51820',
  'fwmark=7',
  'source_check=route',
  'peer_selection=route',
  'viaguard_version=0.1.0',
  `public_key=${K2}`,
  `preshared_key=${PSK}`,
  'protocol_version=1',
  'endpoint=[fd00::1]:4',
  'last_handshake_time_sec=1700000000',
  'last_handshake_time_nsec=123',
  'tx_bytes=18446744073709551615',
  'rx_bytes=5',
  'persistent_keepalive_interval=25',
  'allowed_ip=10.0.0.0/8',
  'allowed_ip=fd00::/64',
  'mac=02:00:00:00:00:01',
  `public_key=${K1}`,
  `preshared_key=${ZERO}`,
  'protocol_version=1',
  'last_handshake_time_sec=0',
  'last_handshake_time_nsec=0',
  'tx_bytes=0',
  'rx_bytes=0',
  'persistent_keepalive_interval=0',
];

describe('uapi/status', () => {
  it('formats a get reply in wireguard-go order, zeros for a missing preshared key', () => {
    assert.deepEqual([...formatGetResponse(STATUS)], LINES);
  });

  it('omits an unset private key, port and fwmark as wireguard-go does', () => {
    assert.deepEqual([...formatGetResponse({ privateKey: new Uint8Array(32), listenPort: 0, fwmark: 0, peers: [] })], []);
  });

  it('parses a reply back into the same device', () => {
    const device = parseGetResponse([...LINES, 'errno=0']);
    const plain = { ...device, peers: device.peers.map((peer) => ({ ...peer, allowedIps: [...peer.allowedIps] })) };
    const expected = { ...STATUS, extra: [['viaguard_version', '0.1.0']] };
    expected.peers = [
      { ...[...STATUS.peers][0], extra: [['mac', '02:00:00:00:00:01']] },
      { ...[...STATUS.peers][1], extra: [] },
    ];
    assert.deepEqual(plain, expected);
    assert.deepEqual([...formatGetResponse(device)].join("\n").split("\n"), LINES, 'a parsed device formats back to the same lines');
  });

  it('turns errno into a UapiError and malformed replies into EPROTO', () => {
    assert.throws(() => parseGetResponse('errno=-22\n\n'), (e: UapiError) => e instanceof UapiError && e.errno === -22);
    assert.throws(() => parseGetResponse('errno=98\n\n'), (e: UapiError) => e instanceof UapiError && e.errno === -98);
    const protocol: [string, RegExp][] = [
      ['listen_port=1\n\n', /without an errno line/],
      ['garbage\nerrno=0\n', /line 1: get reply: expected key=value/],
      ['listen_port=70000\nerrno=0\n', /listen_port: unreadable value "70000"/],
      [`public_key=${K1}\nallowed_ip=10.0.0.1\nerrno=0\n`, /allowed_ip: unreadable value/],
      [`public_key=${K1}\ntx_bytes=18446744073709551616\nerrno=0\n`, /tx_bytes/],
      [`public_key=${K1}\nlisten_port=1\nerrno=0\n`, /device key listen_port after a public_key/],
      ['allowed_ip=10.0.0.0/8\nerrno=0\n', /allowed_ip before any public_key/],
      ['errno=0\nlisten_port=1\n', /a line after errno/],
      ['errno=x\n', /errno: unreadable/],
    ];
    for (const [reply, pattern] of protocol) {
      assert.throws(() => parseGetResponse(reply), (e: UapiError) => e instanceof UapiError && e.errno === UAPI_ERRNO.EPROTO && pattern.test(e.message), reply);
    }
  });

  it('refuses extra keys that would clash with the protocol', () => {
    for (const key of ['errno', 'public_key', 'allowed_ip', 'Bad Key', '']) {
      assert.throws(() => [...formatGetResponse({ extra: [[key, '1']], peers: [] })], RangeError, key);
    }
    assert.throws(() => [...formatGetResponse({ extra: [['note', 'a\nb']], peers: [] })], RangeError);
  });
});
