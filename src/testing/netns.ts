// Throwaway network namespaces for privileged tests, the demo and benchmarks: uniquely named
// (other runs share this machine and /var/run/wireguard), torn down however the caller ends.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A short unique suffix; interface names must stay within 15 characters. */
export function uniqueSuffix(bytes = 3): string {
  return randomBytes(bytes).toString('hex');
}

/** Runs a command and returns its stdout; rejects with the command line and stderr on failure. */
export async function run(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr || e.message).trim()}`);
  }
}

export class Namespace {
  private readonly children = new Set<ChildProcess>();

  private constructor(readonly name: string) {}

  static async create(prefix: string): Promise<Namespace> {
    const ns = new Namespace(`${prefix}-${uniqueSuffix()}`);
    await run('ip', ['netns', 'add', ns.name]);
    await ns.exec('ip', ['link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A namespace another process created (e.g. the GitHub Action's main step), to run in or destroy. */
  static byName(name: string): Namespace {
    return new Namespace(name);
  }

  exec(cmd: string, args: string[]): Promise<string> {
    return run('ip', ['netns', 'exec', this.name, cmd, ...args]);
  }

  /** Starts a long-running process inside the namespace; destroy() kills it if still running. */
  spawn(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  async destroy(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
    // Processes that daemonized themselves (wireguard-go, viaguardd) live on in the namespace.
    const pids = await run('ip', ['netns', 'pids', this.name]).catch(() => '');
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await run('ip', ['netns', 'del', this.name]).catch(() => undefined);
  }
}

/** Joins two namespaces with a veth pair and gives each end an IPv4 and an IPv6 address. */
export async function connect(
  a: Namespace,
  b: Namespace,
  addresses: { a4: string; b4: string; a6: string; b6: string },
): Promise<{ aDev: string; bDev: string }> {
  const suffix = uniqueSuffix();
  const aDev = `va${suffix}`;
  const bDev = `vb${suffix}`;
  await run('ip', ['link', 'add', aDev, 'netns', a.name, 'type', 'veth', 'peer', 'name', bDev, 'netns', b.name]);
  for (const [ns, dev, v4, v6] of [
    [a, aDev, addresses.a4, addresses.a6],
    [b, bDev, addresses.b4, addresses.b6],
  ] as const) {
    await ns.exec('ip', ['addr', 'add', `${v4}/24`, 'dev', dev]);
    await ns.exec('ip', ['addr', 'add', `${v6}/64`, 'dev', dev, 'nodad']);
    await ns.exec('ip', ['link', 'set', dev, 'up']);
  }
  return { aDev, bDev };
}
