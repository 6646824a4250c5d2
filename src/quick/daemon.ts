// Starting the userspace daemon that creates the interface, with wireguard-go's contract (which
// viaguardd shares): `DAEMON IFACE` returns once the TUN device and
// /var/run/wireguard/IFACE.sock exist, exit status 0 meaning success. As in wg-quick,
// WG_QUICK_USERSPACE_IMPLEMENTATION names the program (one word, looked up in PATH); viaguard's
// own viaguardd, run by this Node.js, is the default.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PeerSelection } from '../config/wg-config.js';
import { socketPath } from '../uapi/socket-path.js';
import { runCommand } from './command.js';
import { QuickError } from './errors.js';

export interface DaemonCommand {
  command: string;
  /** Arguments before the interface name. */
  args: string[];
  /** As shown in progress lines and errors. */
  display: string;
}

export const USERSPACE_IMPLEMENTATION_ENV = 'WG_QUICK_USERSPACE_IMPLEMENTATION';
export const PEER_SELECTION_ENV = 'VIAGUARD_PEER_SELECTION';

/** dist/src/cli/viaguardd.js, next to this module's own directory. */
export function bundledViaguardd(): string {
  return fileURLToPath(new URL('../cli/viaguardd.js', import.meta.url));
}

/** The daemon to run: the explicit choice, else $WG_QUICK_USERSPACE_IMPLEMENTATION, else viaguardd. */
export function daemonCommand(explicit: string | undefined, env: NodeJS.ProcessEnv): DaemonCommand {
  const chosen = explicit || env[USERSPACE_IMPLEMENTATION_ENV];
  if (chosen) return { command: chosen, args: [], display: chosen };
  return { command: process.execPath, args: [bundledViaguardd()], display: 'viaguardd' };
}

export async function startDaemon(
  daemon: DaemonCommand,
  iface: string,
  options: { env: NodeJS.ProcessEnv; peerSelection?: PeerSelection; log: (line: string) => void },
): Promise<void> {
  if (daemon.args.length && !existsSync(daemon.args[0])) {
    throw new QuickError(`viaguardd is not built (no ${daemon.args[0]}); set ${USERSPACE_IMPLEMENTATION_ENV} to use another daemon`);
  }
  const env = { ...options.env };
  if (options.peerSelection) env[PEER_SELECTION_ENV] = options.peerSelection;
  options.log(`[#] ${options.peerSelection ? `${PEER_SELECTION_ENV}=${options.peerSelection} ` : ''}${daemon.display} ${iface}`);
  const status = await runCommand(daemon.command, [...daemon.args, iface], { env });
  if (status !== 0) throw new QuickError(`the daemon \`${daemon.display} ${iface}' failed with exit status ${status}`);
  if (!existsSync(socketPath(iface))) {
    throw new QuickError(`the daemon \`${daemon.display} ${iface}' exited without creating ${socketPath(iface)}`);
  }
}
