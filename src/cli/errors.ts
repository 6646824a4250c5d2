// Every failure of the command line becomes one line on stderr, `viaguard: …`, and exit status 1
// (as wg). CliError carries a message already meant for the user; anything else is described
// from its errno code, so a missing daemon or a permission problem never shows a stack trace.
import { getSystemErrorMap } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import { UapiError } from '../uapi/errors.js';

export class CliError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** "invalid argument (EINVAL)" for a negative or positive errno. */
export function errnoText(errno: number): string {
  const entry = getSystemErrorMap().get(-Math.abs(errno));
  return entry ? `${entry[1]} (${entry[0]})` : `error ${Math.abs(errno)}`;
}

/** The errno code of an error or of the error that caused it (Node wraps socket errors). */
function codeOf(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** The one line (without "viaguard: ") that tells the user what went wrong. */
export function describeError(error: unknown): string {
  if (error instanceof CliError || error instanceof ConfigError) return error.message;
  if (error instanceof UapiError) return `the daemon answered: ${errnoText(error.errno)}`;
  const code = codeOf(error);
  const path = error instanceof Error ? (error as NodeJS.ErrnoException).path : undefined;
  const where = path ? `${path}: ` : '';
  if (code === 'EACCES' || code === 'EPERM') return `${where}permission denied (run as root)`;
  if (code === 'ENOENT' && path) return `${path}: no such file`;
  if (error instanceof Error) return error.message.split('\n')[0];
  return String(error);
}
