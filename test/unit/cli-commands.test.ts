// The viaguard command line run in process against viaguard's own UAPI server (backed by the
// reference model of test/support) in a private socket directory: no root needed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/cli-io.js';
import { COMMANDS } from '../../src/cli/commands.js';
import { runCli } from '../../src/cli/run-cli.js';
import { keyFromBase64, keyToHex } from '../../src/config/keys.js';
import { formatPrefix } from '../../src/net/ip.js';
import { UapiServer } from '../../src/uapi/server.js';
import { UapiModel } from '../support/uapi-model.js';

const PRIV = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const PUB_OF_PRIV = 'HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw='; // wg pubkey of PRIV
const A = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';
const B = 'gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=';
const C = 'MagVzvIGYBPZnqIdNsJUqyFDFdKgr80wrZDG+cZnCTA=';
const IFACE = 'vgcli0';

interface Outcome {
  status: number;
  stdout: string;
  stderr: string;
}

describe('cli: commands against a UAPI server', () => {
  let dir: string;
  let model: UapiModel;
  let server: UapiServer;

  async function cli(args: string[], stdin = ''): Promise<Outcome> {
    let stdout = '';
    let stderr = '';
    const io: CliIo = {
      write: (text) => void (stdout += text),
      warn: (text) => void (stderr += text),
      readStdin: async () => Buffer.from(stdin),
      env: {},
      stdoutIsTty: false,
      stdoutIsWorldReadableFile: () => false,
      now: () => 1_800_000_000,
      socketDir: dir,
    };
    const status = await runCli(args, io, COMMANDS);
    return { status, stdout, stderr };
  }

  async function ok(args: string[], stdin?: string): Promise<string> {
    const outcome = await cli(args, stdin);
    assert.equal(outcome.stderr, '', `viaguard ${args.join(' ')}`);
    assert.equal(outcome.status, 0);
    return outcome.stdout;
  }

  async function fails(args: string[], message: RegExp): Promise<void> {
    const outcome = await cli(args);
    assert.equal(outcome.status, 1, `viaguard ${args.join(' ')} should fail`);
    assert.equal(outcome.stdout, '');
    assert.match(outcome.stderr, /^viaguard: [^\n]+\n$/, 'one line on stderr');
    assert.match(outcome.stderr, message);
  }

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }

  const prefixes = (b64: string) => model.prefixesOf(keyToHex(keyFromBase64(b64)!)).map(formatPrefix);

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viaguard-cli-'));
    model = new UapiModel();
    server = await UapiServer.listen(IFACE, model, { socketDir: dir });
  });

  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets a device and shows it as wg would', async () => {
    const priv = file('priv', `${PRIV}\n`);
    await ok(['set', IFACE, 'listen-port', '51820', 'private-key', priv, 'source-check', 'route', 'peer', A, 'endpoint', '192.0.2.1:9', 'allowed-ips', '10.1.0.0/16,fd00::/64']);
    assert.equal(
      await ok(['show', IFACE]),
      `interface: ${IFACE}\n  public key: ${PUB_OF_PRIV}\n  private key: (hidden)\n  listening port: 51820\n  source check: route\n\npeer: ${A}\n  endpoint: 192.0.2.1:9\n  allowed ips: 10.1.0.0/16, fd00::/64\n`,
    );
    assert.equal(
      await ok(['showconf', IFACE]),
      `[Interface]\nSourceCheck = route\nListenPort = 51820\nPrivateKey = ${PRIV}\n\n[Peer]\nPublicKey = ${A}\nAllowedIPs = 10.1.0.0/16, fd00::/64\nEndpoint = 192.0.2.1:9\n`,
    );
    assert.equal(await ok(['show', IFACE, 'allowed-ips']), `${A}\t10.1.0.0/16 fd00::/64\n`);
    assert.equal(await ok(['show', 'all', 'listen-port']), `${IFACE}\t51820\n`);
    assert.equal(await ok(['show', 'interfaces']), `${IFACE}\n`);
    const json = JSON.parse(await ok(['show', '--json', IFACE])) as { name: string; sourceCheck: string; peers: { allowedIps: string[] }[] };
    assert.equal(json.name, IFACE);
    assert.equal(json.sourceCheck, 'route');
    assert.deepEqual(json.peers[0].allowedIps, ['10.1.0.0/16', 'fd00::/64']);
    assert.equal((JSON.parse(await ok(['show', '--json'])) as unknown[]).length, 1);
  });

  it('adds and removes single allowed IPs with +/- and replaces the list without', async () => {
    await ok(['set', IFACE, 'peer', A, 'allowed-ips', '10.1.0.0/16,10.2.0.0/16', 'peer', B, 'allowed-ips', '10.9.0.0/16']);
    await ok(['set', IFACE, 'peer', A, 'allowed-ips', '+10.3.0.0/16,-10.1.0.0/16,-10.9.0.0/16']);
    assert.deepEqual(prefixes(A), ['10.2.0.0/16', '10.3.0.0/16']);
    assert.deepEqual(prefixes(B), ['10.9.0.0/16'], 'a prefix of another peer is not removed');
    await ok(['set', IFACE, 'peer', A, 'allowed-ips', '10.4.0.0/16']);
    assert.deepEqual(prefixes(A), ['10.4.0.0/16']);
    await ok(['set', IFACE, 'peer', B, 'remove']);
    assert.equal(await ok(['show', IFACE, 'peers']), `${A}\n`);
  });

  it('setconf replaces, addconf appends, syncconf keeps unchanged peers in place', async () => {
    const first = file('first.conf', `[Interface]\nListenPort = 7\n[Peer]\nPublicKey = ${A}\n[Peer]\nPublicKey = ${B}\nPresharedKey = ${C}\n`);
    await ok(['setconf', IFACE, first]);
    assert.equal(await ok(['show', IFACE, 'peers']), `${A}\n${B}\n`);
    await ok(['addconf', IFACE, file('more.conf', `[Peer]\nPublicKey = ${C}\nAllowedIPs = 10.3.0.0/16\n`)]);
    assert.equal(await ok(['show', IFACE, 'listen-port']), '7\n');
    assert.equal(await ok(['show', IFACE, 'peers']), `${A}\n${B}\n${C}\n`);
    const next = file('next.conf', `[Interface]\nListenPort = 8\n[Peer]\nPublicKey = ${B}\n[Peer]\nPublicKey = ${A}\nAllowedIPs = 10.1.0.0/16\n`);
    await ok(['syncconf', IFACE, next]);
    // A and B were updated where they stood (setconf would have re-created them in file order).
    assert.equal(await ok(['show', IFACE, 'peers']), `${A}\n${B}\n`);
    assert.equal(await ok(['show', IFACE, 'preshared-keys']), `${A}\t(none)\n${B}\t(none)\n`);
    assert.deepEqual(prefixes(A), ['10.1.0.0/16']);
    await ok(['setconf', IFACE, next]);
    assert.equal(await ok(['show', IFACE, 'peers']), `${B}\n${A}\n`);
  });

  it('refuses a broken config file whole, naming file and line', async () => {
    await ok(['set', IFACE, 'listen-port', '5']);
    const before = model.transactions;
    const bad = file('bad.conf', `[Interface]\nListenPort = 6\n[Peer]\nPublicKey = ${A}\nAllowedIPs = 10.0.0.0/40\n`);
    await fails(['setconf', IFACE, bad], new RegExp(`${bad.replace(/[.]/g, '\\.')}:5: AllowedIPs: expected`));
    await fails(['addconf', IFACE, file('quick.conf', '[Interface]\nAddress = 10.0.0.1/24\n')], /quick\.conf:2: Address: a wg-quick key/);
    await fails(['syncconf', IFACE, file('typo.conf', '[Interface]\nListenPrt = 1\n')], /typo\.conf:2: unknown key "ListenPrt" \(did you mean "ListenPort"\?\)/);
    await fails(['setconf', IFACE, join(dir, 'missing.conf')], /missing\.conf: no such file/);
    assert.equal(model.transactions, before);
  });

  it('answers bad input with one line and status 1', async () => {
    await fails(['show', 'nosuch0'], /no such interface: nosuch0 \(no daemon listening on .*nosuch0\.sock\)/);
    await fails(['show', 'bad/name'], /not a valid interface name/);
    await fails(['show', IFACE, 'colour'], /show: invalid parameter "colour"/);
    await fails(['show', IFACE, 'peers', 'extra'], /too many arguments/);
    await fails(['show', '--json', IFACE, 'peers'], /takes no field/);
    await fails(['showconf'], /usage: viaguard showconf <interface>/);
    await fails(['set', IFACE], /usage: viaguard set <interface>/);
    await fails(['set', IFACE, 'peer', A, 'endpoint', 'host.invalid:1'], /cannot resolve host\.invalid/);
    await fails(['set', 'nosuch0', 'listen-port', '1'], /no such interface: nosuch0/);
    await fails(['setconf', IFACE], /usage: viaguard setconf <interface> <configuration filename>/);
    await fails(['genkey', 'x'], /genkey takes no arguments/);
    await fails(['pubkey'], /pubkey: expected a base64 private key on stdin/);
    await fails(['shwo'], /invalid subcommand "shwo" \(did you mean "show"\?\)/);
    model.busyPorts.add(99);
    await fails(['set', IFACE, 'listen-port', '99'], /interface vgcli0: the daemon refused the change: address already in use \(EADDRINUSE\)/);
  });

  it('lists only live sockets, as wg', async () => {
    writeFileSync(join(dir, 'plain.sock'), '');
    writeFileSync(join(dir, 'notes.txt'), '');
    assert.equal(await ok(['show', 'interfaces']), `${IFACE}\n`);
    assert.ok(existsSync(join(dir, 'plain.sock')), 'a file that is no socket is left alone');
    await fails(['show', 'plain'], /plain\.sock is not a socket/);
    await server.close();
    assert.equal(await ok(['show', 'interfaces']), '');
    assert.equal(await ok(['show']), '', 'no interface: nothing to show, success');
  });

  it('makes and derives keys', async () => {
    const priv = (await ok(['genkey'])).trim();
    const bytes = keyFromBase64(priv)!;
    assert.equal(bytes[0] & 7, 0, 'clamped');
    assert.equal(bytes[31] & 0xc0, 0x40, 'clamped');
    assert.ok(keyFromBase64((await ok(['genpsk'])).trim()));
    assert.equal(await ok(['pubkey'], `${PRIV}\n`), `${PUB_OF_PRIV}\n`);
  });

  it('prints help for the tool and for each command', async () => {
    const main = await ok(['--help']);
    for (const name of COMMANDS.keys()) assert.match(main, new RegExp(`^  ${name}: `, 'm'));
    assert.match(await ok(['show', '--help']), /^Usage: viaguard show \[--json\][^]*"latestHandshakeUnixMs": integer/);
    assert.match(await ok(['help', 'set']), /^Usage: viaguard set <interface> .*allowed-ips \[\+\|-\]/);
    assert.match(await ok(['--version']), /^viaguard v\d+\.\d+\.\d+\n$/);
  });
});
