// Property tests of the UAPI set request parser (fast-check): any lines give a transaction or a
// UapiError (EINVAL or EPROTO, naming a line of the request), never another exception; a request
// of valid lines survives format -> parse unchanged; and one bad line anywhere makes the whole
// request fail at that line, so nothing of it can be applied.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIp } from '../../src/net/ip.js';
import { UAPI_ERRNO, UapiError } from '../../src/uapi/errors.js';
import { formatSetTransaction } from '../../src/uapi/set-format.js';
import { parseSetRequest, type SetTransaction } from '../../src/uapi/set-request.js';

const RUNS = 1000;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(hex);
const decimal = (max: number) => fc.integer({ min: 0, max }).map(String);
const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((bytes) => formatIp({ family: 4, bytes }));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((bytes) => formatIp({ family: 6, bytes }));
const endpoint = fc.oneof(
  fc.tuple(ipv4, decimal(65535)).map(([ip, port]) => `${ip}:${port}`),
  fc.tuple(ipv6, decimal(65535)).map(([ip, port]) => `[${ip}]:${port}`),
);
const prefix = fc.oneof(
  fc.tuple(ipv4, fc.integer({ min: 0, max: 32 })).map(([ip, cidr]) => `${ip}/${cidr}`),
  fc.tuple(ipv6, fc.integer({ min: 0, max: 128 })).map(([ip, cidr]) => `${ip}/${cidr}`),
);

const deviceLine = fc.oneof(
  key.map((k) => `private_key=${k}`),
  decimal(65535).map((p) => `listen_port=${p}`),
  decimal(0xffffffff).map((m) => `fwmark=${m}`),
  fc.constant('replace_peers=true'),
  fc.constantFrom('allowed-ips', 'route', 'off').map((c) => `source_check=${c}`),
);
const peerLine = fc.oneof(
  { arbitrary: prefix.map((p) => `allowed_ip=${p}`), weight: 4 },
  { arbitrary: prefix.map((p) => `allowed_ip=-${p}`), weight: 1 },
  { arbitrary: key.map((k) => `preshared_key=${k}`), weight: 1 },
  { arbitrary: endpoint.map((e) => `endpoint=${e}`), weight: 1 },
  { arbitrary: decimal(65535).map((s) => `persistent_keepalive_interval=${s}`), weight: 1 },
  { arbitrary: fc.constantFrom('update_only=true', 'replace_allowed_ips=true', 'protocol_version=1', 'remove=true'), weight: 1 },
);
const peer = fc.tuple(key, fc.array(peerLine, { maxLength: 8 })).map(([k, lines]) => [`public_key=${k}`, ...lines]);
const validRequest = fc.tuple(fc.array(deviceLine, { maxLength: 5 }), fc.array(peer, { maxLength: 4 })).map(([device, peers]) => [...device, ...peers.flat()]);

// Lines nothing accepts, wherever they stand.
const badLine = fc.oneof(
  fc.string({ maxLength: 30 }).filter((s) => !s.includes('=') && !s.includes('\n') && s !== ''),
  fc.constantFrom('bogus=1', 'listen_port=65536', 'fwmark=-1', 'public_key=xyz', 'allowed_ip=10.0.0.1', 'replace_peers=yes', '=', 'source_check=maybe'),
);

// Anything line-like: known keys with arbitrary values, arbitrary keys, lines without '='.
const anyLine = fc.oneof(
  fc.tuple(
    fc.constantFrom('private_key', 'listen_port', 'fwmark', 'replace_peers', 'source_check', 'public_key', 'remove', 'update_only', 'preshared_key', 'endpoint', 'persistent_keepalive_interval', 'replace_allowed_ips', 'allowed_ip', 'protocol_version'),
    fc.string({ maxLength: 70, unit: 'binary' }),
  ).map(([k, v]) => `${k}=${v}`),
  fc.string({ maxLength: 40, unit: 'binary' }),
  deviceLine,
  peerLine,
  peer.map((lines) => lines[0]),
).filter((line) => line !== '' && !line.includes('\n'));

function parse(lines: string[]): SetTransaction | UapiError {
  try {
    return parseSetRequest(lines);
  } catch (error) {
    assert.ok(error instanceof UapiError, `not a UapiError: ${String(error)}`);
    return error;
  }
}

describe('uapi/set-request on arbitrary requests (property)', () => {
  it('returns a transaction or throws a UapiError naming one of its lines', () => {
    fc.assert(
      fc.property(fc.array(anyLine, { maxLength: 20 }), (lines) => {
        const result = parse(lines);
        if (!(result instanceof UapiError)) return;
        assert.ok(result.errno === UAPI_ERRNO.EINVAL || result.errno === UAPI_ERRNO.EPROTO, String(result.errno));
        // Line 1 is set=1; the request's lines are 2..n+1.
        assert.ok(result.line !== undefined && result.line >= 2 && result.line <= lines.length + 1, `line ${result.line}`);
      }),
      { numRuns: RUNS },
    );
  });

  it('a valid request parses, and its formatted form parses to the same transaction', () => {
    fc.assert(
      fc.property(validRequest, (lines) => {
        const tx = parse(lines);
        assert.ok(!(tx instanceof UapiError), tx instanceof UapiError ? tx.message : '');
        const formatted = [...formatSetTransaction(tx)];
        const again = parse(formatted);
        assert.ok(!(again instanceof UapiError), again instanceof UapiError ? again.message : '');
        assert.deepEqual([...formatSetTransaction(again)], formatted);
        assert.deepEqual(comparable(again), comparable(tx));
      }),
      { numRuns: RUNS },
    );
  });

  it('one bad line anywhere fails the whole request at that line', () => {
    fc.assert(
      fc.property(validRequest, badLine, fc.nat(), (lines, bad, at) => {
        const position = at % (lines.length + 1);
        const request = [...lines.slice(0, position), bad, ...lines.slice(position)];
        const result = parse(request);
        assert.ok(result instanceof UapiError, `accepted ${JSON.stringify(bad)}`);
        assert.equal(result.line, position + 2);
      }),
      { numRuns: RUNS },
    );
  });
});

// Transactions with their PrefixBatches as text, for deepEqual.
function comparable(tx: SetTransaction): unknown {
  return {
    ...tx,
    peers: tx.peers.map(({ line: _line, allowedIps, ...peerChange }) => ({
      ...peerChange,
      allowedIps: allowedIps.map((run) => ({ remove: run.remove, prefixes: [...run.prefixes].map((p) => `${formatIp(p)}/${p.cidr}`) })),
    })),
  };
}
