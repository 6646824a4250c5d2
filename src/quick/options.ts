// What `up` and `down` take: the config (a path or an interface name) and the environment they
// run in.
import type { Log } from './steps.js';

export interface QuickOptions {
  /** A config file (its name is IFACE.conf) or an interface name, meaning CONFIG_DIR/IFACE.conf. */
  config: string;
  /** Where an interface name's config lives; default /etc/wireguard. */
  configDir?: string;
  /**
   * `up` only: the userspace daemon to run (one word, looked up in PATH); default
   * $WG_QUICK_USERSPACE_IMPLEMENTATION, else viaguard's own viaguardd.
   */
  daemon?: string;
  /** For the daemon, hooks and resolvconf; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Progress ("[#] ip link set ...") and warnings, one line each; default: stderr. */
  log?: Log;
  /**
   * `up` only: once aborted, `up` stops after the running step and undoes everything, as
   * wg-quick's trap on INT and TERM does (runUp aborts on SIGINT and SIGTERM).
   */
  signal?: AbortSignal;
}

export function stderrLog(line: string): void {
  process.stderr.write(`${line}\n`);
}
