import assert from 'node:assert/strict';
import type { CliIo } from '../../src/cli/cli-io.js';
import type { Command } from '../../src/cli/commands.js';
import { CliError, describeError, errnoText } from '../../src/cli/errors.js';
import { runCli } from '../../src/cli/run-cli.js';
import { ConfigError } from '../../src/config/config-error.js';
import { UapiError } from '../../src/uapi/errors.js';

function io(env: NodeJS.ProcessEnv = {}) {
  const out = { stdout: '', stderr: '' };
  const value: CliIo = {
    write: (text) => void (out.stdout += text),
    warn: (text) => void (out.stderr += text),
    readStdin: async () => Buffer.alloc(0),
    env,
    stdoutIsTty: false,
    stdoutIsWorldReadableFile: () => false,
    now: () => 0,
    socketDir: '/nonexistent',
  };
  return { io: value, out };
}

const failing = (error: unknown): Command => ({ summary: 'fails', usage: 'boom', run: async () => Promise.reject(error) });

describe('cli/run-cli', () => {
  it('dispatches through the table, show being the default', async () => {
    const seen: string[][] = [];
    const commands = new Map<string, Command>([['show', { summary: 's', usage: 'show', run: async (args) => (seen.push(args), 3) }]]);
    assert.equal(await runCli([], io().io, commands), 3);
    assert.equal(await runCli(['show', 'wg0', 'peers'], io().io, commands), 3);
    assert.deepEqual(seen, [[], ['wg0', 'peers']]);
  });

  it('turns any failure into one line and status 1; VIAGUARD_DEBUG adds the stack of an unexpected one', async () => {
    const boom = new TypeError('x is not a function');
    let run = io();
    assert.equal(await runCli(['boom'], run.io, new Map([['boom', failing(boom)]])), 1);
    assert.equal(run.out.stderr, 'viaguard: x is not a function\n');
    run = io({ VIAGUARD_DEBUG: '1' });
    await runCli(['boom'], run.io, new Map([['boom', failing(boom)]]));
    assert.match(run.out.stderr, /^viaguard: x is not a function\nTypeError: x is not a function\n {4}at /);
    run = io({ VIAGUARD_DEBUG: '1' });
    await runCli(['boom'], run.io, new Map([['boom', failing(new CliError('plain'))]]));
    assert.equal(run.out.stderr, 'viaguard: plain\n', 'a CliError is the whole story');
  });

  it('describes errors by kind', () => {
    assert.equal(errnoText(-22), 'invalid argument (EINVAL)');
    assert.equal(errnoText(98), 'address already in use (EADDRINUSE)');
    assert.equal(describeError(new UapiError(-71, 'get reply: garbage')), 'the daemon answered: protocol error (EPROTO)');
    assert.equal(describeError(new ConfigError({ file: 'a.conf', line: 3, key: 'MTU', expected: 'a number', got: 'x' })), 'a.conf:3: MTU: expected a number, got "x"');
    const denied = Object.assign(new Error('EACCES: permission denied, open \'/etc/x\''), { code: 'EACCES', path: '/etc/x' });
    assert.equal(describeError(denied), '/etc/x: permission denied (run as root)');
    assert.equal(describeError(new Error('first\nsecond')), 'first');
    assert.equal(describeError('text'), 'text');
  });
});
