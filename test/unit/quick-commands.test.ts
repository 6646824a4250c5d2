// The external programs of up/down (daemon choice, hooks, resolvconf) and the command-line glue,
// run for real where no privilege is needed.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIp } from '../../src/net/ip.js';
import type { CliIo } from '../../src/cli/cli-io.js';
import { runDown, runSave, runUp } from '../../src/quick/cli.js';
import { bundledViaguardd, daemonCommand } from '../../src/quick/daemon.js';
import { findInPath, interfaceOrderPrefix, Resolvconf, resolvconfInput } from '../../src/quick/dns.js';
import { QuickError } from '../../src/quick/errors.js';
import { expandHook, runHooks } from '../../src/quick/hooks.js';

function captureIo(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    write: (text: string) => {
      io.out += text;
    },
    warn: (text: string) => {
      io.err += text;
    },
    readStdin: async () => Buffer.alloc(0),
    env: {},
    stdoutIsTty: false,
    stdoutIsWorldReadableFile: () => false,
    now: () => 0,
    socketDir: '/nonexistent',
  };
  return io;
}

describe('quick: daemon, hooks, resolvconf and the command line', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quick-cmd-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('daemonCommand: the explicit choice, else WG_QUICK_USERSPACE_IMPLEMENTATION, else viaguardd under this Node.js', () => {
    const env = { WG_QUICK_USERSPACE_IMPLEMENTATION: 'wireguard-go' };
    assert.deepEqual(daemonCommand('boringtun-cli', env), { command: 'boringtun-cli', args: [], display: 'boringtun-cli' });
    assert.deepEqual(daemonCommand(undefined, env), { command: 'wireguard-go', args: [], display: 'wireguard-go' });
    assert.deepEqual(daemonCommand(undefined, {}), { command: process.execPath, args: [bundledViaguardd()], display: 'viaguardd' });
    assert.match(bundledViaguardd(), /\/dist\/src\/cli\/viaguardd\.js$/);
  });

  describe('hooks', () => {
    it('expandHook replaces every %i', () => {
      assert.equal(expandHook('ip link show %i && echo %i%i', 'wg0'), 'ip link show wg0 && echo wg0wg0');
    });

    it('runs each snippet with bash, in order, logging it', async () => {
      const out = join(dir, 'out');
      const logged: string[] = [];
      await runHooks('PostUp', [`echo "first %i" >> ${out}`, `[[ %i == qk9 ]] && echo second >> ${out}`], 'qk9', process.env, (l) => logged.push(l));
      assert.equal(await readFile(out, 'utf8'), 'first qk9\nsecond\n');
      assert.deepEqual(logged, [`[#] echo "first qk9" >> ${out}`, `[#] [[ qk9 == qk9 ]] && echo second >> ${out}`]);
    });

    it('stops at the first failing snippet with its status', async () => {
      const out = join(dir, 'out');
      await assert.rejects(
        runHooks('PreDown', ['exit 3', `touch ${out}`], 'qk9', process.env, () => undefined),
        (e: Error) => e instanceof QuickError && e.message === 'PreDown failed with exit status 3: exit 3',
      );
      await assert.rejects(readFile(out));
    });
  });

  describe('resolvconf', () => {
    it('input lines: nameservers, then one search line', () => {
      assert.equal(resolvconfInput({ servers: [parseIp('10.0.0.53')!, parseIp('fd00::53')!], search: ['example.com', 'corp'] }), 'nameserver 10.0.0.53\nnameserver fd00::53\nsearch example.com corp\n');
      assert.equal(resolvconfInput({ servers: [parseIp('1.1.1.1')!], search: [] }), 'nameserver 1.1.1.1\n');
    });

    it('the interface-order prefix is the first NAME* line (Debian\'s file gives "tun.")', () => {
      assert.equal(interfaceOrderPrefix('# order\nlo.inet6\nlo.inet*\nlo.dnsmasq\nlo.pdnsd\nlo.!(pdns|pdns-recursor)\nlo\ntun*\ntap*\nhso*\nem+([0-9])?(_+([0-9]))*\n'), 'tun.');
      assert.equal(interfaceOrderPrefix('lo\n  tun*  \nwg*\n'), 'tun.');
      assert.equal(interfaceOrderPrefix('lo\neth0\n'), '');
    });

    it('is looked up in PATH; a missing one is a clear error', async () => {
      assert.equal(findInPath('resolvconf', { PATH: dir }), undefined);
      assert.throws(() => Resolvconf.require({ PATH: dir }), (e: Error) => e instanceof QuickError && /resolvconf\(8\) is not installed/.test(e.message));
      await writeFile(join(dir, 'resolvconf'), '#!/bin/sh\n');
      assert.equal(findInPath('resolvconf', { PATH: `/nonexistent:${dir}` }), undefined, 'not executable yet');
      await chmod(join(dir, 'resolvconf'), 0o755);
      assert.equal(findInPath('resolvconf', { PATH: `/nonexistent:${dir}` }), join(dir, 'resolvconf'));
    });

    it('set and unset run resolvconf -a/-d with the servers on stdin', async () => {
      const record = join(dir, 'record');
      await writeFile(join(dir, 'resolvconf'), `#!/bin/bash\n{ echo "args: $*"; cat; } >> ${record}\n`, { mode: 0o755 });
      const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
      const resolvconf = Resolvconf.require(env);
      const logged: string[] = [];
      await resolvconf.set('qk7', { servers: [parseIp('10.1.1.1')!], search: ['lan'] }, (l) => logged.push(l));
      await resolvconf.unset('qk7', (l) => logged.push(l));
      assert.equal(await readFile(record, 'utf8'), 'args: -a qk7 -m 0 -x\nnameserver 10.1.1.1\nsearch lan\nargs: -d qk7 -f\n');
      assert.deepEqual(logged, ['[#] resolvconf -a qk7 -m 0 -x', '[#] resolvconf -d qk7 -f']);
    });

    it('a failing resolvconf is an error with its status', async () => {
      await writeFile(join(dir, 'resolvconf'), '#!/bin/sh\nexit 2\n', { mode: 0o755 });
      const resolvconf = Resolvconf.require({ PATH: dir });
      await assert.rejects(resolvconf.set('qk7', { servers: [parseIp('10.1.1.1')!], search: [] }, () => undefined), {
        message: 'resolvconf -a qk7 -m 0 -x failed with exit status 2',
      });
    });
  });

  describe('runUp / runDown / runSave', () => {
    it('help on stdout with status 0; a wrong argument count prints the usage with status 1', async () => {
      const help = captureIo();
      assert.equal(await runUp(['--help'], help), 0);
      assert.match(help.out, /^Usage: viaguard up CONFIG_FILE \| INTERFACE/);
      const wrong = captureIo();
      assert.equal(await runDown([], wrong), 1);
      assert.match(wrong.err, /^Usage: viaguard down CONFIG_FILE \| INTERFACE/);
      assert.equal(await runDown(['a', 'b'], wrong), 1);
      const save = captureIo();
      assert.equal(await runSave([], save), 1);
      assert.match(save.err, /^Usage: viaguard save CONFIG_FILE \| INTERFACE/);
    });

    it('an error is one line on stderr and status 1', async () => {
      const missing = captureIo();
      assert.equal(await runUp([join(dir, 'qk5.conf')], missing), 1);
      assert.equal(missing.err, `viaguard up: \`${join(dir, 'qk5.conf')}' does not exist\n`);

      const file = join(dir, 'qk6.conf');
      await writeFile(file, '[Interface]\nListenPrt = 5\n', { mode: 0o600 });
      const broken = captureIo();
      assert.equal(await runDown([file], broken), 1);
      assert.equal(broken.err, `viaguard down: ${file}:2: unknown key "ListenPrt" (did you mean "ListenPort"?)\n`);

      const badName = captureIo();
      assert.equal(await runUp(['/tmp/not-a-conf-file.txt'], badName), 1);
      assert.equal(badName.err.split('\n').length, 2);
      assert.match(badName.err, /^viaguard up: `\/tmp\/not-a-conf-file\.txt': the config file must be named after its interface/);
    });
  });
});
