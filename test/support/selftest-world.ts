// The userspace stage for our port of the kernel's WireGuard selftest (netns.sh) and the netns
// trick tests: three network namespaces and WireGuard interfaces served by a daemon
// (viaguardd or wireguard-go), with the kernel's operations mapped to userspace ones:
// - `ip -n nsX link add wgN type wireguard` starts the daemon in nsX;
// - "create in ns0, then move to ns1" starts it in ns0 (its UDP socket stays there) and moves
//   the TUN with `ip link set wgN netns ns1`;
// - every namespace has its own view of /var/run/wireguard (a private mount namespace with a
//   bind mount of a directory of this run), so the same interface name can exist in several
//   namespaces, as it can with the kernel; `wg` runs in the view holding the daemon's socket,
//   as the kernel's netlink finds an interface in the namespace it now lives in.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Namespace } from '../../src/testing/netns.js';
import type { Implementation } from '../../src/testing/tunnel-pair.js';
import { run, type RunResult } from './run.js';
import { isAlive } from '../../src/testing/proc-stat.js';

export async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Daemon {
  pid: number;
  /** The view (namespace index) holding its UAPI socket. */
  view: number;
  /** Where its TUN is now. */
  at: number;
  name: string;
}

export interface AddWgOptions {
  /** The namespace the daemon runs in (its UDP sockets live there); default: the interface's. */
  createdIn?: number;
  /** viaguardd only: route mode (a TAP device). */
  peerSelection?: 'route';
  /** Another implementation than the world's. */
  impl?: Implementation;
}

export class SelftestWorld {
  private readonly daemons: Daemon[] = [];
  private secrets = '';

  readonly ns: Namespace[] = [];
  private readonly views: string[] = [];
  /** A world of count namespaces, which start() creates. */
  constructor(
    readonly impl: Implementation,
    private readonly count = 3,
  ) {}

  static async create(impl: Implementation, count = 3): Promise<SelftestWorld> {
    const world = new SelftestWorld(impl, count);
    await world.start();
    return world;
  }

  async start(): Promise<void> {
    mkdirSync('/var/run/wireguard', { recursive: true, mode: 0o755 });
    this.secrets = mkdtempSync(join(tmpdir(), 'vgst-keys-'));
    try {
      for (let i = 0; i < this.count; i++) {
        this.ns.push(await Namespace.create(`wgt${i}`));
        this.views.push(mkdtempSync(join(tmpdir(), `vgst-run${i}-`)));
      }
    } catch (error) {
      await this.destroy();
      throw error;
    }
  }

  name(i: number): string {
    return this.ns[i].name;
  }

  /** Runs cmd in network namespace i with view `view` (default i) of /var/run/wireguard; never throws on exit status. */
  n(i: number, cmd: string, args: string[], options: { input?: string; view?: number; timeoutMs?: number } = {}): Promise<RunResult> {
    const view = this.views[options.view ?? i];
    return run(
      'unshare',
      ['--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind "$0" /var/run/wireguard && exec "$@"', view, 'ip', 'netns', 'exec', this.name(i), cmd, ...args],
      options.input,
      options.timeoutMs,
    );
  }

  /** The same, insisting on exit status 0; returns stdout. */
  async nOk(i: number, cmd: string, args: string[], options: { input?: string; view?: number; timeoutMs?: number } = {}): Promise<string> {
    const result = await this.n(i, cmd, args, options);
    if (result.code !== 0) throw new Error(`ns${i}: ${cmd} ${args.join(' ')} exited ${result.code}: ${(result.stderr || result.stdout).trim()}`);
    return result.stdout;
  }

  /** `ip -n nsI ARGS`, insisting on success. */
  async ip(i: number, ...args: string[]): Promise<string> {
    const result = await run('ip', ['-n', this.name(i), ...args]);
    if (result.code !== 0) throw new Error(`ns${i}: ip ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /** Writes `printf VALUE > /proc/sys/...` in namespace i. */
  async sysctl(i: number, path: string, value: string): Promise<void> {
    await this.nOk(i, 'sh', ['-c', `printf %s "$0" > /proc/sys/${path}`, value]);
  }

  /** Starts a WireGuard interface that ends up in namespace i (see AddWgOptions). */
  async addWg(i: number, name: string, options: AddWgOptions = {}): Promise<void> {
    const createdIn = options.createdIn ?? i;
    const impl = options.impl ?? this.impl;
    const [cmd, ...args] = impl.command;
    if (options.peerSelection && impl.label !== 'viaguardd') throw new Error(`${impl.label} has no route mode`);
    const extra = options.peerSelection ? ['--peer-selection', options.peerSelection] : [];
    const before = new Set(this.daemons.map((d) => d.pid));
    await this.nOk(createdIn, cmd, [...args, ...extra, name], { view: i });
    const pid = await this.findDaemon(createdIn, name, before);
    this.daemons.push({ pid, view: i, at: createdIn, name });
    if (createdIn !== i) await this.moveWg(name, createdIn, i);
  }

  /** `ip -n nsFROM link set NAME netns nsTO`: the daemon and its socket stay where they are. */
  async moveWg(name: string, from: number, to: number): Promise<void> {
    const daemon = this.daemonAt(from, name);
    await this.ip(from, 'link', 'set', name, 'netns', this.name(to));
    daemon.at = to;
  }

  /** `ip -n nsI link del NAME`, then waits until its daemon has gone (both implementations exit). */
  async delWg(i: number, name: string): Promise<void> {
    const daemon = this.daemonAt(i, name);
    await this.ip(i, 'link', 'del', name);
    await until(`${this.impl.label} serving ${name} exits after its interface was deleted`, () => !isAlive(daemon.pid));
    this.daemons.splice(this.daemons.indexOf(daemon), 1);
  }

  /** The pid of the daemon serving interface name in namespace i. */
  pidOf(i: number, name: string): number {
    return this.daemonAt(i, name).pid;
  }

  /** `wg ARGS` for the interface name in namespace i, run in the view holding its daemon's socket. */
  wg(i: number, name: string | undefined, args: string[], input?: string): Promise<RunResult> {
    const daemon = name === undefined ? undefined : this.daemons.find((d) => d.at === i && d.name === name);
    return this.n(i, 'wg', args, { input, view: daemon?.view ?? i });
  }

  async wgOk(i: number, name: string, args: string[]): Promise<string> {
    const result = await this.wg(i, name, args);
    if (result.code !== 0) throw new Error(`ns${i}: wg ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /** A file holding a key for `wg set ... private-key FILE` (the original's <(echo "$key")). */
  keyFile(label: string, key: string): string {
    const path = join(this.secrets, label);
    writeFileSync(path, `${key}\n`, { mode: 0o600 });
    return path;
  }

  async destroy(): Promise<void> {
    for (const d of this.daemons) {
      try {
        process.kill(d.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.daemons.length = 0;
    for (const ns of this.ns) await ns.destroy();
    for (const view of this.views) rmSync(view, { recursive: true, force: true });
    if (this.secrets) rmSync(this.secrets, { recursive: true, force: true });
  }

  private daemonAt(i: number, name: string): Daemon {
    const daemon = this.daemons.find((d) => d.at === i && d.name === name);
    if (!daemon) throw new Error(`no ${name} in ns${i} in this run`);
    return daemon;
  }

  /** The one daemon in namespace createdIn serving name that is not known yet. */
  private async findDaemon(createdIn: number, name: string, known: Set<number>): Promise<number> {
    const pids = (await run('ip', ['netns', 'pids', this.name(createdIn)])).stdout.split(/\s+/).filter(Boolean).map(Number);
    const found = pids.filter((pid) => {
      if (known.has(pid)) return false;
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(name);
      } catch {
        return false;
      }
    });
    if (found.length !== 1) throw new Error(`expected one new ${this.impl.label} for ${name} in ns${createdIn}, found ${found.length}`);
    return found[0];
  }
}
