// Runs a real tool asynchronously (the UAPI server under test lives in this process, so a
// synchronous exec would deadlock it) and requires root for privileged tests: they fail, never skip.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export function run(command: string, args: string[], input?: string, timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(new Error(`${command}: ${error.message}`));
      else resolve({ stdout, stderr, code: error ? (error.code as number) : 0 });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Runs and insists on exit status 0. */
export async function runOk(command: string, args: string[], input?: string): Promise<string> {
  const result = await run(command, args, input);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('privileged test: run as root');
}

/** A name no other test on this machine uses (interfaces: at most 15 characters). */
export function uniqueName(prefix: string): string {
  return `${prefix}${randomBytes(3).toString('hex')}`;
}
