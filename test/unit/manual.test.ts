// The manual pages and --help come from one source (src/cli/*-manual.ts): the pages render
// without a groff warning, list every command with the usage `viaguard COMMAND --help` prints,
// and viaguardd's --help, --version and option parser agree with its page.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { COMMANDS } from '../../src/cli/commands.js';
import { helpText, manPage } from '../../src/cli/manual.js';
import { runCli } from '../../src/cli/run-cli.js';
import { VIAGUARD_MANUAL } from '../../src/cli/viaguard-manual.js';
import { VIAGUARDD_MANUAL } from '../../src/cli/viaguardd-manual.js';
import { requireTools } from '../../src/testing/require-tools.js';

const execFileAsync = promisify(execFile);
const VIAGUARDD = fileURLToPath(new URL('../../src/cli/viaguardd.js', import.meta.url));
const VIAGUARD = fileURLToPath(new URL('../../src/cli/viaguard.js', import.meta.url));
const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string; man: string[]; scripts: Record<string, string>; files: string[] };

async function node(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, args, { env: { ...process.env, WG_PROCESS_FOREGROUND: '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The page as man(1) shows it, plain text, and groff's warnings. */
async function render(page: string): Promise<{ text: string; warnings: string }> {
  requireTools('groff');
  const dir = mkdtempSync(join(tmpdir(), 'man-'));
  try {
    const file = join(dir, 'page.8');
    writeFileSync(file, page);
    const { stdout, stderr } = await execFileAsync('groff', ['-man', '-Tutf8', '-ww', '-P', '-cbou', file], { env: { ...process.env, LC_ALL: 'C.UTF-8' } });
    return { text: stdout, warnings: stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('manual pages and --help (one source)', function () {
  this.timeout(20_000);

  it('package.json installs the two pages that npm run prepare writes', () => {
    assert.deepEqual(manifest.man, ['./dist/man/viaguard.8', './dist/man/viaguardd.8']);
    assert.match(manifest.scripts.prepare, /node dist\/scripts\/man\.js/);
    assert.ok(manifest.files.includes('dist/man/'));
  });

  for (const manual of [VIAGUARD_MANUAL, VIAGUARDD_MANUAL]) {
    it(`${manual.name}(8) renders without a warning, with its sections`, async () => {
      const { text, warnings } = await render(manPage(manual, manifest.version));
      assert.equal(warnings, '');
      for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'ENVIRONMENT', 'FILES', 'EXIT STATUS', 'SEE ALSO']) assert.match(text, new RegExp(`^${section}$`, 'm'));
      assert.match(text, new RegExp(`viaguard ${manifest.version.replace(/\./g, '\\.')}`));
      for (const option of manual.options) assert.ok(text.includes(option.flags), option.flags);
    });
  }

  it('viaguard(8) lists every command with the usage and help `viaguard COMMAND --help` prints', async () => {
    const flat = (s: string) => s.replace(/\s+/g, ' ');
    const { text } = await render(manPage(VIAGUARD_MANUAL, manifest.version));
    for (const [name, command] of COMMANDS) {
      assert.ok(flat(text).includes(flat(command.usage)), `${name}: ${command.usage}`);
      let printed = '';
      const io = { write: (t: string) => void (printed += t), warn: () => undefined, readStdin: async () => Buffer.alloc(0), env: {}, stdoutIsTty: false, stdoutIsWorldReadableFile: () => false, now: () => 0, socketDir: '/nonexistent' };
      assert.equal(await runCli([name, '--help'], io, COMMANDS), 0);
      assert.ok(printed.startsWith(`Usage: viaguard ${command.usage}\n`), printed);
      if (command.help) assert.ok(flat(text).includes(flat(command.help)), `${name}'s help is on the page`);
    }
  });

  it('viaguardd --help prints the synopsis and options of its page; --version both commands\' version', async () => {
    for (const flag of ['--help', '-h']) {
      const help = await node([VIAGUARDD, flag]);
      assert.deepEqual(help, { code: 0, stdout: helpText(VIAGUARDD_MANUAL), stderr: '' });
    }
    assert.match(helpText(VIAGUARDD_MANUAL), /^Usage: viaguardd \[-f\|--foreground\] \[--peer-selection allowed-ips\|route\] \[--threads N\] \[--queues N\] IFACE\n/);
    assert.deepEqual(await node([VIAGUARDD, '--version']), { code: 0, stdout: `viaguardd v${manifest.version}\n`, stderr: '' });
    assert.deepEqual(await node([VIAGUARD, '--version']), { code: 0, stdout: `viaguard v${manifest.version}\n`, stderr: '' });
  });

  it('viaguardd accepts exactly the options on its page; anything else is one line and exit 1', async () => {
    // Without an interface name every valid option ends in the usage line, not "unknown option".
    for (const args of [['-f'], ['--foreground'], ['--peer-selection', 'route'], ['--peer-selection=allowed-ips'], ['--threads', '2'], ['--queues', '2'], ['--queues=3']]) {
      const result = await node([VIAGUARDD, ...args]);
      assert.equal(result.code, 1);
      assert.equal(result.stderr, `viaguardd: usage: ${VIAGUARDD_MANUAL.synopsis[0]} (see viaguardd --help)\n`, args.join(' '));
    }
    for (const [args, message] of [
      [['--queues', '0', 'wg0'], 'viaguardd: --queues: expected a number of queues in 1..256, got "0"\n'],
      [['--queues'], `viaguardd: --queues needs a value\nusage: ${VIAGUARDD_MANUAL.synopsis[0]} (see viaguardd --help)\n`],
    ] as const) {
      const result = await node([VIAGUARDD, ...args]);
      assert.deepEqual({ code: result.code, stderr: result.stderr }, { code: 1, stderr: message }, args.join(' '));
    }
    const unknown = await node([VIAGUARDD, '--daemon', 'wg0']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^viaguardd: unknown option --daemon\nusage: /);
  });
});
