// Running the external programs wg-quick runs too (the daemon, hooks, resolvconf): output goes
// straight to our stdout/stderr, as a shell would let it, and only the exit status comes back.
// Waiting for the exit rather than for closed pipes matters: a daemon or a hook's background job
// may keep our streams open for as long as it lives.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { QuickError } from './errors.js';

export interface CommandOptions {
  env: NodeJS.ProcessEnv;
  /** Written to the command's stdin, then closed; without it stdin is /dev/null. */
  input?: string;
}

/** Resolves with the exit status (128 + N when killed by signal N). */
export function runCommand(command: string, args: readonly string[], options: CommandOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'inherit', 'inherit'] });
    child.once('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'ENOENT' ? 'not found' : error.code === 'EACCES' ? 'permission denied' : error.message;
      reject(new QuickError(`cannot run \`${command}': ${reason}`, { cause: error }));
    });
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    if (options.input !== undefined) {
      // A command that exits without reading its input must not turn into an EPIPE crash.
      child.stdin!.once('error', () => undefined);
      child.stdin!.end(options.input);
    }
  });
}
