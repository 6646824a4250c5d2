import assert from 'node:assert/strict';
import { keyFromHex, keyToBase64 } from '../../src/config/keys.js';
import { publicKeyFromPrivate } from '../../src/config/public-key.js';
import { ago, bytes, dumpDevice, every, fieldText, prettyDevice, prettyTime, sortPeersByHandshake, type ShownDevice } from '../../src/cli/show-format.js';
import { deviceJson } from '../../src/cli/show-json.js';
import { showconfText } from '../../src/cli/showconf-format.js';
import { stripAnsi } from '../../src/cli/terminal.js';
import { assertMatchesSchema } from '../support/schemas.js';
import { parseGetResponse } from '../../src/uapi/status.js';

// RFC 7748 §6.1: Alice's private key and the public key it gives.
const PRIVATE_HEX = '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a';
const PUBLIC_HEX = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
const A = '11'.repeat(32);
const B = '22'.repeat(32);
const PSK = '33'.repeat(32);
const b64 = (hex: string) => keyToBase64(keyFromHex(hex)!);
const NOW = 1_800_000_000;
const plain = (text: string) => stripAnsi(text);

function device(): ShownDevice {
  const snapshot = parseGetResponse([
    `private_key=${PRIVATE_HEX}`,
    'listen_port=51820',
    'fwmark=31',
    'source_check=route',
    'future_knob=7',
    `public_key=${A}`,
    `preshared_key=${'0'.repeat(64)}`,
    'last_handshake_time_sec=0',
    'last_handshake_time_nsec=0',
    'tx_bytes=0',
    'rx_bytes=0',
    'persistent_keepalive_interval=0',
    `public_key=${B}`,
    `preshared_key=${PSK}`,
    'endpoint=[2001:db8::1]:51820',
    `last_handshake_time_sec=${NOW - 63}`,
    'last_handshake_time_nsec=5',
    'tx_bytes=4669',
    'rx_bytes=1152',
    'persistent_keepalive_interval=25',
    'allowed_ip=10.0.0.0/8',
    'allowed_ip=::ffff:10.1.1.1/128',
    'errno=0',
  ]);
  return { name: 'wg0', device: snapshot, publicKey: publicKeyFromPrivate(snapshot.privateKey!) };
}

describe('cli/show-format', () => {
  it('derives the public key as curve25519 does (RFC 7748 vector)', () => {
    assert.equal(keyToBase64(publicKeyFromPrivate(keyFromHex(PRIVATE_HEX)!)), b64(PUBLIC_HEX));
  });

  it('writes times as show.c pretty_time, ago and every', () => {
    assert.equal(plain(prettyTime(63)), '1 minute, 3 seconds');
    assert.equal(plain(prettyTime(365 * 86400 + 2 * 86400 + 3600 + 1)), '1 year, 2 days, 1 hour, 1 second');
    assert.equal(plain(prettyTime(2 * 3600 + 120)), '2 hours, 2 minutes');
    assert.equal(plain(ago(NOW - 63, NOW)), '1 minute, 3 seconds ago');
    assert.equal(plain(ago(NOW, NOW)), 'Now');
    assert.equal(plain(ago(NOW + 5, NOW)), '(System clock wound backward; connection problems may ensue.)');
    assert.equal(plain(every(25)), 'every 25 seconds');
    assert.equal(plain(every(60)), 'every 1 minute');
    assert.equal(prettyTime(1), '1 \x1b[36msecond\x1b[0m');
  });

  it('writes byte counts as printf("%.2f"), rounding exact halves to even', () => {
    const cases: [bigint, string][] = [
      [0n, '0 B'],
      [1023n, '1023 B'],
      [1024n, '1.00 KiB'],
      [1152n, '1.12 KiB'], // 1.125 exactly: glibc rounds to even
      [1184n, '1.16 KiB'], // 1.15625
      [4669n, '4.56 KiB'],
      [1048575n, '1024.00 KiB'],
      [1048576n, '1.00 MiB'],
      [3n << 30n, '3.00 GiB'],
      [(5n << 40n) + (1n << 37n), '5.12 TiB'], // 5.125
      [1n << 60n, '1048576.00 TiB'],
      [0xffffffffffffffffn, '16777216.00 TiB'],
    ];
    for (const [count, text] of cases) assert.equal(plain(bytes(count)), text, String(count));
  });

  it('sorts peers by latest handshake, never-seen last, stably', () => {
    const peers = parseGetResponse([
      `public_key=${'01'.repeat(32)}`,
      `public_key=${'02'.repeat(32)}`,
      'last_handshake_time_sec=100',
      `public_key=${'03'.repeat(32)}`,
      `public_key=${'04'.repeat(32)}`,
      'last_handshake_time_sec=100',
      'last_handshake_time_nsec=9',
      `public_key=${'05'.repeat(32)}`,
      'last_handshake_time_sec=50',
      'errno=0',
    ]).peers;
    assert.deepEqual(sortPeersByHandshake(peers).map((peer) => peer.publicKey[0]), [4, 2, 5, 1, 3]);
  });

  it('writes the pretty listing as wg show, extra keys after the standard lines', () => {
    const expected = [
      'interface: wg0',
      `  public key: ${b64(PUBLIC_HEX)}`,
      '  private key: (hidden)',
      '  listening port: 51820',
      '  fwmark: 0x1f',
      '  source check: route',
      '  future knob: 7',
      '',
      `peer: ${b64(B)}`,
      '  preshared key: (hidden)',
      '  endpoint: [2001:db8::1]:51820',
      '  allowed ips: 10.0.0.0/8, ::ffff:10.1.1.1/128',
      '  latest handshake: 1 minute, 3 seconds ago',
      '  transfer: 1.12 KiB received, 4.56 KiB sent',
      '  persistent keepalive: every 25 seconds',
      '',
      `peer: ${b64(A)}`,
      '  allowed ips: (none)',
      '',
    ].join('\n');
    assert.equal(plain(prettyDevice(device(), { now: NOW, showKeys: false })), expected);
    const shown = plain(prettyDevice(device(), { now: NOW, showKeys: true }));
    assert.match(shown, new RegExp(`private key: ${b64(PRIVATE_HEX).replace(/[+/]/g, '\\$&')}\n`));
    assert.match(shown, new RegExp(`preshared key: ${b64(PSK).replace(/[+/]/g, '\\$&')}\n`));
  });

  it('colours the pretty listing with wg\'s escapes', () => {
    const text = prettyDevice(device(), { now: NOW, showKeys: false });
    assert.ok(text.startsWith('\x1b[0m\x1b[32m\x1b[1minterface\x1b[0m: \x1b[32mwg0\x1b[0m\n  \x1b[1mpublic key\x1b[0m: '));
    assert.ok(text.includes(`\x1b[33m\x1b[1mpeer\x1b[0m: \x1b[33m${b64(B)}\x1b[0m\n`));
    assert.ok(text.includes('  \x1b[1mallowed ips\x1b[0m: 10.0.0.0\x1b[36m/\x1b[0m8, ::ffff:10.1.1.1\x1b[36m/\x1b[0m128\n'));
    assert.ok(text.includes('1.12 \x1b[36mKiB\x1b[0m received'));
  });

  it('writes a device without key, port or peers as wg does', () => {
    const bare: ShownDevice = { name: 'wg9', device: parseGetResponse(['errno=0']) };
    assert.equal(plain(prettyDevice(bare, { now: NOW, showKeys: false })), 'interface: wg9\n');
    assert.equal(dumpDevice(bare, false), '(none)\t(none)\t0\toff\n');
    assert.equal(fieldText(bare, 'peers', true), '');
    assert.equal(fieldText(bare, 'listen-port', true), 'wg9\t0\n');
  });

  it('writes dump and each field in the daemon\'s peer order, tab-separated', () => {
    const shown = device();
    const [a, b, psk, priv, pub] = [b64(A), b64(B), b64(PSK), b64(PRIVATE_HEX), b64(PUBLIC_HEX)];
    assert.equal(
      dumpDevice(shown, false),
      `${priv}\t${pub}\t51820\t0x1f\n` +
        `${a}\t(none)\t(none)\t(none)\t0\t0\t0\toff\n` +
        `${b}\t${psk}\t[2001:db8::1]:51820\t10.0.0.0/8,::ffff:10.1.1.1/128\t${NOW - 63}\t1152\t4669\t25\n`,
    );
    assert.equal(dumpDevice(shown, true).split('\n')[1], `wg0\t${a}\t(none)\t(none)\t(none)\t0\t0\t0\toff`);
    const fields: [Parameters<typeof fieldText>[1], string][] = [
      ['public-key', `${pub}\n`],
      ['private-key', `${priv}\n`],
      ['listen-port', '51820\n'],
      ['fwmark', '0x1f\n'],
      ['peers', `${a}\n${b}\n`],
      ['preshared-keys', `${a}\t(none)\n${b}\t${psk}\n`],
      ['endpoints', `${a}\t(none)\n${b}\t[2001:db8::1]:51820\n`],
      ['allowed-ips', `${a}\t(none)\n${b}\t10.0.0.0/8 ::ffff:10.1.1.1/128\n`],
      ['latest-handshakes', `${a}\t0\n${b}\t${NOW - 63}\n`],
      ['persistent-keepalive', `${a}\toff\n${b}\t25\n`],
      ['transfer', `${a}\t0\t0\n${b}\t1152\t4669\n`],
    ];
    for (const [field, text] of fields) {
      assert.equal(fieldText(shown, field, false), text, field);
      assert.equal(fieldText(shown, field, true), text.replace(/^(?=.)/gm, 'wg0\t'), `${field} with interface`);
    }
  });

  it('writes typed JSON with every field, keys in the clear as dump, valid by the shipped schema', () => {
    const json = deviceJson(device());
    assertMatchesSchema('show-device', json);
    assertMatchesSchema('show-all', [json, json]);
    assert.deepEqual(json, {
      name: 'wg0',
      publicKey: b64(PUBLIC_HEX),
      privateKey: b64(PRIVATE_HEX),
      listenPort: 51820,
      fwmark: 31,
      sourceCheck: 'route',
      peerSelection: null,
      counters: { future_knob: 7 },
      extra: {},
      peers: [
        {
          publicKey: b64(A),
          presharedKey: null,
          endpoint: null,
          allowedIps: [],
          latestHandshakeUnixMs: 0,
          rxBytes: 0,
          txBytes: 0,
          persistentKeepaliveSeconds: 0,
          sourceCheckDrops: null,
          peerMac: null,
          learntIps: [],
          extra: {},
        },
        {
          publicKey: b64(B),
          presharedKey: b64(PSK),
          endpoint: '[2001:db8::1]:51820',
          allowedIps: ['10.0.0.0/8', '::ffff:10.1.1.1/128'],
          latestHandshakeUnixMs: (NOW - 63) * 1000,
          rxBytes: 1152,
          txBytes: 4669,
          persistentKeepaliveSeconds: 25,
          sourceCheckDrops: null,
          peerMac: null,
          learntIps: [],
          extra: {},
        },
      ],
    });
  });
});

describe('cli/show-json: viaguardd\'s own keys', () => {
  it('types counters as numbers and route mode\'s peer keys as fields; unknown keys stay strings', () => {
    const snapshot = parseGetResponse([
      'listen_port=51820',
      'source_check=allowed-ips',
      'peer_selection=route',
      'dropped_garbage=12',
      'handshake_initiations_accepted=3',
      'future_mode=fast',
      `public_key=${A}`,
      'last_handshake_time_sec=1800000000',
      'last_handshake_time_nsec=987654321',
      'tx_bytes=9007199254740991',
      'rx_bytes=1',
      'persistent_keepalive_interval=0',
      'source_check_drops=4',
      'peer_mac=02:5a:11:22:33:44',
      'learnt_ip=fe80::1',
      'learnt_ip=10.0.0.9',
      'future_peer_key=x',
      'errno=0',
    ]);
    const json = deviceJson({ name: 'vg0', device: snapshot });
    assertMatchesSchema('show-device', json);
    assert.deepEqual(json.counters, { dropped_garbage: 12, handshake_initiations_accepted: 3 });
    assert.deepEqual(json.extra, { future_mode: 'fast' });
    const [peer] = json.peers;
    assert.equal(peer.latestHandshakeUnixMs, 1_800_000_000_987);
    assert.equal(peer.txBytes, 9007199254740991);
    assert.equal(peer.sourceCheckDrops, 4);
    assert.equal(peer.peerMac, '02:5a:11:22:33:44');
    assert.deepEqual(peer.learntIps, ['fe80::1', '10.0.0.9']);
    assert.deepEqual(peer.extra, { future_peer_key: 'x' });
  });

  it('the schema rejects what it must: a counter as a string, a missing field, an unknown field', () => {
    const json = deviceJson(device());
    assert.throws(() => assertMatchesSchema('show-device', { ...json, counters: { dropped_garbage: '0' } }), /must be integer/);
    const withoutPeers: Partial<typeof json> = { ...json };
    delete withoutPeers.peers;
    assert.throws(() => assertMatchesSchema('show-device', withoutPeers), /must have required property 'peers'/);
    assert.throws(() => assertMatchesSchema('show-device', { ...json, latestHandshake: 0 }), /must NOT have additional properties/);
    assert.throws(() => assertMatchesSchema('watch-event', { time_unix_ms: 1.5, event: 'resync', dropped: 1 }), /must be integer/);
    assert.throws(() => assertMatchesSchema('watch-event', { time_unix_ms: 1, event: 'peer_added' }), /public_key/);
  });
});

describe('cli/showconf-format', () => {
  it('writes the device as wg showconf, viaguard keys first', () => {
    const shown = device();
    shown.device.peerSelection = 'route';
    const [a, b, psk, priv] = [b64(A), b64(B), b64(PSK), b64(PRIVATE_HEX)];
    assert.equal(
      showconfText(shown.device),
      `[Interface]\nPeerSelection = route\nSourceCheck = route\nListenPort = 51820\nFwMark = 0x1f\nPrivateKey = ${priv}\n\n` +
        `[Peer]\nPublicKey = ${a}\n\n` +
        `[Peer]\nPublicKey = ${b}\nPresharedKey = ${psk}\nAllowedIPs = 10.0.0.0/8, ::ffff:10.1.1.1/128\nEndpoint = [2001:db8::1]:51820\nPersistentKeepalive = 25\n`,
    );
    assert.equal(showconfText(parseGetResponse(['errno=0'])), '[Interface]\n\n');
  });
});
