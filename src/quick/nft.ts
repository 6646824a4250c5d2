// nft(8), run as wg-quick runs it for a full tunnel's firewall: scripts fed to `nft -f -` (each
// one transaction: all of it applies or none), and `nft list tables` to find what to remove.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runCommand } from './command.js';
import { findInPath } from './dns.js';
import { QuickError } from './errors.js';

const execFileAsync = promisify(execFile);

export class Nft {
  private constructor(
    private readonly path: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** nft from PATH, or undefined when it is not installed. */
  static find(env: NodeJS.ProcessEnv): Nft | undefined {
    const path = findInPath('nft', env);
    return path ? new Nft(path, env) : undefined;
  }

  /** Runs the script; nft's own error message (naming the faulty line) goes to stderr. */
  async apply(script: string): Promise<void> {
    const status = await runCommand(this.path, ['-f', '-'], { env: this.env, input: script });
    if (status !== 0) throw new QuickError(`nft -f - failed with exit status ${status}`);
  }

  /** `nft list tables`: one `table FAMILY NAME` line per table. */
  async listTables(): Promise<string> {
    try {
      return (await execFileAsync(this.path, ['list', 'tables'], { env: this.env })).stdout;
    } catch (error) {
      const { stderr, message } = error as { stderr?: string; message: string };
      throw new QuickError(`nft list tables: ${(stderr || message).trim()}`, { cause: error });
    }
  }
}
