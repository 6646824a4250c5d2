// DNS = servers and search domains, handed to resolvconf(8) for as long as the interface is up,
// as wg-quick's set_dns/unset_dns do: `resolvconf -a NAME -m 0 -x` with "nameserver"/"search"
// lines on stdin, `resolvconf -d NAME -f` to undo. NAME is the interface, prefixed as Debian's
// resolvconf orders it (the first "PREFIX*" line of /etc/resolvconf/interface-order, e.g. "tun.")
// unless resolvconf is a link to another implementation (openresolv, systemd's resolvectl).
import { accessSync, constants, lstatSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { formatIp, type IpAddress } from '../net/ip.js';
import { runCommand } from './command.js';
import { QuickError } from './errors.js';

const INTERFACE_ORDER = '/etc/resolvconf/interface-order';

export interface DnsSettings {
  servers: readonly IpAddress[];
  search: readonly string[];
}

/** What resolvconf reads on stdin. */
export function resolvconfInput(dns: DnsSettings): string {
  const lines = dns.servers.map((server) => `nameserver ${formatIp(server)}`);
  if (dns.search.length) lines.push(`search ${dns.search.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

/** The prefix from an interface-order file's first "NAME*" line, or "". */
export function interfaceOrderPrefix(orderFile: string): string {
  for (const line of orderFile.split('\n')) {
    const match = /^([A-Za-z0-9-]+)\*$/.exec(line.trim());
    if (match) return `${match[1]}.`;
  }
  return '';
}

export function findInPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export class Resolvconf {
  private constructor(
    private readonly path: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** Fails with a clear message when the config asks for DNS and resolvconf is missing. */
  static require(env: NodeJS.ProcessEnv): Resolvconf {
    const path = findInPath('resolvconf', env);
    if (!path) {
      throw new QuickError('DNS is set in the config but resolvconf(8) is not installed (install resolvconf or openresolv, or remove DNS from the config)');
    }
    return new Resolvconf(path, env);
  }

  static find(env: NodeJS.ProcessEnv): Resolvconf | undefined {
    const path = findInPath('resolvconf', env);
    return path ? new Resolvconf(path, env) : undefined;
  }

  /** The name resolvconf files the interface's settings under. */
  interfaceName(iface: string): string {
    if (lstatSync(this.path).isSymbolicLink()) return iface;
    try {
      return `${interfaceOrderPrefix(readFileSync(INTERFACE_ORDER, 'utf8'))}${iface}`;
    } catch {
      return iface;
    }
  }

  async set(iface: string, dns: DnsSettings, log: (line: string) => void): Promise<void> {
    const args = ['-a', this.interfaceName(iface), '-m', '0', '-x'];
    log(`[#] resolvconf ${args.join(' ')}`);
    const status = await runCommand(this.path, args, { env: this.env, input: resolvconfInput(dns) });
    if (status !== 0) throw new QuickError(`resolvconf ${args.join(' ')} failed with exit status ${status}`);
  }

  async unset(iface: string, log: (line: string) => void): Promise<void> {
    const args = ['-d', this.interfaceName(iface), '-f'];
    log(`[#] resolvconf ${args.join(' ')}`);
    const status = await runCommand(this.path, args, { env: this.env });
    if (status !== 0) throw new QuickError(`resolvconf ${args.join(' ')} failed with exit status ${status}`);
  }
}
