// Shared by the privileged up/down tests: namespaces, interface names and config files that are
// unique and cleaned up, `viaguard up|down` run inside a namespace (the viaguard command under
// `ip netns exec`), and ip(8) -j queries.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { findInPath } from '../../src/quick/dns.js';
import { Namespace } from '../../src/testing/netns.js';
import { requireTools } from '../../src/testing/require-tools.js';
import { socketPath } from '../../src/uapi/socket-path.js';
import { requireRoot, run, runOk, uniqueName, type RunResult } from './run.js';

/** The viaguard command, whose up/down/save these tests drive. */
export const QUICK_MAIN = fileURLToPath(new URL('../../src/cli/viaguard.js', import.meta.url));

export interface Keys {
  privateKey: string;
  publicKey: string;
}

export async function keyPair(): Promise<Keys> {
  const privateKey = (await runOk('wg', ['genkey'])).trim();
  return { privateKey, publicKey: (await runOk('wg', ['pubkey'], privateKey)).trim() };
}

export async function waitFor(what: string, predicate: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  for (const start = Date.now(); Date.now() - start < timeoutMs; await sleep(50)) {
    if (await predicate()) return;
  }
  assert.fail(`timed out waiting for ${what}`);
}

export async function ipJson<T = Record<string, unknown>>(ns: Namespace, args: string[]): Promise<T[]> {
  const out = await ns.exec('ip', ['-j', ...args]);
  return out.trim() ? (JSON.parse(out) as T[]) : [];
}

export async function linkExists(ns: Namespace, iface: string): Promise<boolean> {
  return (await run('ip', ['netns', 'exec', ns.name, 'ip', 'link', 'show', 'dev', iface])).code === 0;
}

/** The tables the rules of one family look up, in order (a fresh namespace: local, main[, default]). */
export async function ruleTables(ns: Namespace, family: '-4' | '-6'): Promise<string[]> {
  return (await ipJson<{ table: string }>(ns, [family, 'rule', 'show'])).map((r) => r.table);
}

/** The link, its socket and its daemon are all gone. */
export async function assertGone(ns: Namespace, iface: string): Promise<void> {
  assert.equal(await linkExists(ns, iface), false, `${iface} still exists`);
  await waitFor(`${socketPath(iface)} to disappear`, () => !existsSync(socketPath(iface)));
  await waitFor(`the daemon of ${iface} to exit`, async () => (await runOk('ip', ['netns', 'pids', ns.name])).trim() === '');
}

export class QuickHarness {
  readonly wireguardGo: string;
  private readonly namespaces: Namespace[] = [];
  private readonly interfaces: string[] = [];

  private constructor(readonly dir: string) {
    this.wireguardGo = findInPath('wireguard-go', process.env)!;
  }

  /** Fails (never skips) without root or a needed tool. */
  static async create(tools: readonly string[]): Promise<QuickHarness> {
    requireRoot();
    requireTools('ip', 'wg', 'wireguard-go', 'bash', ...tools);
    return new QuickHarness(await mkdtemp(join(tmpdir(), 'quick-netns-')));
  }

  async cleanup(): Promise<void> {
    for (const ns of this.namespaces) await ns.destroy();
    for (const iface of this.interfaces) await rm(socketPath(iface), { force: true });
    await rm(this.dir, { recursive: true, force: true });
  }

  async namespace(prefix: string): Promise<Namespace> {
    const ns = await Namespace.create(prefix);
    this.namespaces.push(ns);
    return ns;
  }

  interfaceName(prefix: string): string {
    const name = uniqueName(prefix);
    this.interfaces.push(name);
    return name;
  }

  /** DIR/IFACE.conf, mode 0600. */
  async writeConfig(iface: string, text: string): Promise<string> {
    const path = join(this.dir, `${iface}.conf`);
    await writeFile(path, text, { mode: 0o600 });
    return path;
  }

  /** `viaguard up|down|save CONFIG` inside the namespace, wireguard-go as the daemon unless env says otherwise. */
  quick(ns: Namespace, command: 'up' | 'down' | 'save', config: string, env: Record<string, string> = {}): Promise<RunResult> {
    const assignments = Object.entries({ WG_QUICK_USERSPACE_IMPLEMENTATION: this.wireguardGo, ...env }).map(([k, v]) => `${k}=${v}`);
    return run('ip', ['netns', 'exec', ns.name, 'env', ...assignments, process.execPath, QUICK_MAIN, command, config]);
  }

  /** As quick(), insisting on success; returns the progress written to stderr. */
  async quickOk(ns: Namespace, command: 'up' | 'down' | 'save', config: string, env?: Record<string, string>): Promise<string> {
    const result = await this.quick(ns, command, config, env);
    assert.equal(result.code, 0, `viaguard ${command} failed: ${result.stderr}`);
    return result.stderr;
  }
}
