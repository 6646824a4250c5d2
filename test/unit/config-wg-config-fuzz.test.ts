// Property tests of the config file parser (fast-check): any text gives a config or a
// ConfigError naming a line of the file, never another exception; and writing a parsed config
// back out is stable (format(parse(format(parse(text)))) === format(parse(text))).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigError } from '../../src/config/config-error.js';
import { formatWgConfig } from '../../src/config/wg-config-format.js';
import { parseWgConfig, type WgConfig } from '../../src/config/wg-config.js';
import { formatIp } from '../../src/net/ip.js';

const RUNS = 1000;
const base64Key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((k) => Buffer.from(k).toString('base64'));
const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((bytes) => formatIp({ family: 4, bytes }));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => formatIp({ family: 6, bytes }));
const prefix = fc.oneof(
  fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([ip, cidr]) => `${ip}/${cidr}`),
  fc.tuple(ipv6, fc.integer({ min: 0, max: 128 })).map(([ip, cidr]) => `${ip}/${cidr}`),
);
const port = fc.integer({ min: 0, max: 65535 });
const word = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
const hostname = fc.stringMatching(/^[a-z]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z]([a-z0-9-]{0,8}[a-z0-9])?){0,2}$/);
const command = fc.string({ maxLength: 30 }).filter((s) => !/[#\n\r]/.test(s));

const interfaceEntry = fc.oneof(
  base64Key.map((k) => `PrivateKey = ${k}`),
  port.map((p) => `ListenPort = ${p}`),
  fc.oneof(fc.constant('off'), fc.nat({ max: 0xffffffff }).map(String), fc.nat({ max: 0xffffffff }).map((m) => `0x${m.toString(16)}`)).map((m) => `FwMark = ${m}`),
  fc.array(prefix, { minLength: 1, maxLength: 3 }).map((list) => `Address = ${list.join(', ')}`),
  fc.array(fc.oneof(ipv4, ipv6, hostname), { minLength: 1, maxLength: 3 }).map((list) => `DNS = ${list.join(', ')}`),
  fc.integer({ min: 68, max: 65535 }).map((mtu) => `MTU = ${mtu}`),
  word.map((t) => `Table = ${t}`),
  fc.tuple(fc.constantFrom('PreUp', 'PostUp', 'PreDown', 'PostDown'), command).map(([k, c]) => `${k} = ${c}`),
  fc.constantFrom('SaveConfig = true', 'SaveConfig = false', 'PeerSelection = route', 'PeerSelection = allowed-ips', 'SourceCheck = off', 'SourceCheck = route'),
);
const peerEntry = fc.oneof(
  base64Key.map((k) => `PresharedKey = ${k}`),
  fc.array(prefix, { minLength: 1, maxLength: 3 }).map((list) => `AllowedIPs = ${list.join(',')}`),
  fc.oneof(fc.tuple(ipv4, port).map(([ip, p]) => `${ip}:${p}`), fc.tuple(ipv6, port).map(([ip, p]) => `[${ip}]:${p}`), fc.tuple(hostname, port).map(([h, p]) => `${h}:${p}`)).map((e) => `Endpoint = ${e}`),
  fc.oneof(fc.constant('off'), port.map(String)).map((k) => `PersistentKeepalive = ${k}`),
);
const validConfig = fc
  .tuple(
    fc.array(interfaceEntry, { maxLength: 8 }),
    fc.array(fc.tuple(base64Key, fc.array(peerEntry, { maxLength: 5 })), { maxLength: 3 }),
  )
  .map(([iface, peers]) =>
    ['[Interface]', ...iface, ...peers.flatMap(([key, entries]) => ['', '[Peer]', `PublicKey = ${key}`, ...entries])].join('\n'),
  );

// Config-shaped noise: section headers, known and unknown keys with arbitrary values, comments.
const anyLine = fc.oneof(
  fc.constantFrom('[Interface]', '[Peer]', '[interface]', '[Peers]', '', '# comment'),
  fc.tuple(
    fc.constantFrom('PrivateKey', 'ListenPort', 'FwMark', 'Address', 'DNS', 'MTU', 'Table', 'PreUp', 'SaveConfig', 'PeerSelection', 'SourceCheck', 'PublicKey', 'PresharedKey', 'AllowedIPs', 'Endpoint', 'PersistentKeepalive', 'Bogus'),
    fc.string({ maxLength: 50, unit: 'binary' }),
  ).map(([k, v]) => `${k} = ${v}`),
  fc.string({ maxLength: 40, unit: 'binary' }),
  interfaceEntry,
  peerEntry,
);

function parse(text: string): WgConfig | ConfigError {
  try {
    return parseWgConfig(text);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
    return error;
  }
}

describe('config/wg-config on arbitrary files (property)', () => {
  it('returns a config or throws a ConfigError naming one of its lines', () => {
    fc.assert(
      fc.property(fc.array(anyLine, { maxLength: 20 }), (lines) => {
        const text = lines.join('\n');
        const result = parse(text);
        if (result instanceof ConfigError) {
          assert.ok(result.line >= 1 && result.line <= text.split('\n').length, `line ${result.line}`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a valid file parses, and writing it out is stable', () => {
    fc.assert(
      fc.property(validConfig, (text) => {
        const config = parse(text);
        assert.ok(!(config instanceof ConfigError), config instanceof ConfigError ? config.message : '');
        const written = formatWgConfig(config);
        const again = parse(written);
        assert.ok(!(again instanceof ConfigError), again instanceof ConfigError ? `${again.message}\n${written}` : '');
        assert.equal(formatWgConfig(again), written);
        assert.equal(again.peers.length, config.peers.length);
      }),
      { numRuns: RUNS },
    );
  });
});
