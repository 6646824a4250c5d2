import assert from 'node:assert/strict';
import { CliError } from '../../src/cli/errors.js';
import { parseKeyFile } from '../../src/cli/key-file.js';
import { parseSetArgs, type SetArgsContext } from '../../src/cli/set-args.js';
import { parseIp } from '../../src/net/ip.js';
import { keyFromBase64, keyToHex } from '../../src/config/keys.js';
import { formatSetTransaction } from '../../src/uapi/set-format.js';

const PRIV = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const PUB = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const PUB2 = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';
const hex = (b64: string) => keyToHex(keyFromBase64(b64)!);

const files: Record<string, string> = { '/k/priv': `${PRIV}\n`, '/k/psk': PUB2, '/dev/null': '' };
const context: SetArgsContext = {
  readKeyFile: async (path) => {
    if (!(path in files)) throw new CliError(`${path}: no such file`);
    return parseKeyFile(Buffer.from(files[path]), path);
  },
  resolve: async (endpoint) => {
    if (endpoint.host === 'peer.example') return { address: parseIp('198.51.100.7')!, port: endpoint.port };
    return { address: parseIp(endpoint.host)!, port: endpoint.port };
  },
};

const lines = async (args: string[]) => [...formatSetTransaction(await parseSetArgs(args, context))];

async function rejects(args: string[], message: RegExp): Promise<void> {
  await assert.rejects(parseSetArgs(args, context), (error: unknown) => error instanceof CliError && message.test(error.message));
}

describe('cli/set-args', () => {
  it('turns device and peer options into the lines wg set sends', async () => {
    assert.deepEqual(
      await lines(['listen-port', '51820', 'fwmark', '0x10', 'private-key', '/k/priv', 'peer', PUB, 'preshared-key', '/k/psk', 'endpoint', 'peer.example:51820', 'persistent-keepalive', '25', 'allowed-ips', '10.0.0.0/8, fd00::/64', 'peer', PUB2, 'remove']),
      [
        // PRIV is already clamped, so it goes out unchanged.
        `private_key=${hex(PRIV)}`,
        'listen_port=51820',
        'fwmark=16',
        `public_key=${hex(PUB)}`,
        `preshared_key=${hex(PUB2)}`,
        'endpoint=198.51.100.7:51820',
        'persistent_keepalive_interval=25',
        'replace_allowed_ips=true',
        'allowed_ip=10.0.0.0/8',
        'allowed_ip=fd00::/64',
        `public_key=${hex(PUB2)}`,
        'remove=true',
      ],
    );
  });

  it('reads an empty key file as "no key", off as zero, an empty list as "no allowed IPs"', async () => {
    assert.deepEqual(await lines(['private-key', '/dev/null', 'fwmark', 'off', 'peer', PUB, 'preshared-key', '/dev/null', 'persistent-keepalive', 'off', 'allowed-ips', '', 'endpoint', '[fd00::1]:9']), [
      `private_key=${'0'.repeat(64)}`,
      'fwmark=0',
      `public_key=${hex(PUB)}`,
      `preshared_key=${'0'.repeat(64)}`,
      'endpoint=[fd00::1]:9',
      'persistent_keepalive_interval=0',
      'replace_allowed_ips=true',
    ]);
  });

  it('makes a peer\'s change incremental when an allowed-ips item has + or -', async () => {
    assert.deepEqual(await lines(['peer', PUB, 'allowed-ips', '+10.1.0.0/16,-10.2.0.0/16,-fd00::/64,10.3.0.5/16']), [
      `public_key=${hex(PUB)}`,
      'allowed_ip=10.1.0.0/16',
      'allowed_ip=-10.2.0.0/16',
      'allowed_ip=-fd00::/64',
      'allowed_ip=10.3.0.0/16',
    ]);
    // Each peer decides for itself; a host address is a /32.
    assert.deepEqual(await lines(['peer', PUB, 'allowed-ips', '-10.9.9.9', 'peer', PUB2, 'allowed-ips', '10.8.0.0/16']), [
      `public_key=${hex(PUB)}`,
      'allowed_ip=-10.9.9.9/32',
      `public_key=${hex(PUB2)}`,
      'replace_allowed_ips=true',
      'allowed_ip=10.8.0.0/16',
    ]);
  });

  it('sends viaguard\'s source-check', async () => {
    assert.deepEqual(await lines(['source-check', 'off']), ['source_check=off']);
  });

  it('rejects bad arguments with one clear message', async () => {
    await rejects(['bogus'], /invalid argument "bogus"/);
    await rejects(['listen-port', '65536'], /listen-port: expected a port 0-65535, got "65536"/);
    await rejects(['listen-port'], /listen-port needs a value/);
    await rejects(['fwmark', '0x1ffffffff'], /fwmark: expected/);
    await rejects(['peer', 'abc'], /peer: expected a base64 public key/);
    await rejects(['remove'], /remove is a peer option/);
    await rejects(['endpoint', '1.2.3.4:5'], /endpoint is a peer option/);
    await rejects(['peer', PUB, 'listen-port', '1'], /listen-port is an interface option and must come before the first peer/);
    await rejects(['peer', PUB, 'allowed-ips', '10.0.0.0/33'], /allowed-ips: expected .* got "10.0.0.0\/33"/);
    await rejects(['peer', PUB, 'allowed-ips', '10.0.0.0/8,,'], /allowed-ips/);
    await rejects(['peer', PUB, 'endpoint', 'nohost'], /endpoint: expected/);
    await rejects(['peer', PUB, 'persistent-keepalive', '65536'], /persistent-keepalive/);
    await rejects(['source-check', 'sometimes'], /source-check: expected allowed-ips, route, off/);
    await rejects(['private-key', '/k/missing'], /\/k\/missing: no such file/);
  });
});

describe('cli/key-file', () => {
  it('reads keys as wg parse_keyfile', () => {
    assert.equal(keyToHex(parseKeyFile(Buffer.from(`${PRIV}\n\t \n`), 'f')), hex(PRIV));
    assert.equal(keyToHex(parseKeyFile(Buffer.alloc(0), 'f')), '0'.repeat(64));
    assert.throws(() => parseKeyFile(Buffer.from(PRIV.slice(0, 20)), 'f'), /f: the key has an invalid length/);
    assert.throws(() => parseKeyFile(Buffer.from(`${PRIV} x`), 'f'), /f: trailing character after the key: "x"/);
    assert.throws(() => parseKeyFile(Buffer.from(`${PRIV.slice(0, 42)}B=`), 'f'), /f: not a base64 key/);
  });
});
