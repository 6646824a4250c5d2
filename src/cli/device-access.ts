// Reaching daemons over the UAPI as `wg` does (wireguard-tools src/ipc-uapi-unix.h): interfaces
// are the *.sock files of the socket directory that accept a connection; a socket that refuses
// connections belongs to a daemon that is gone and is removed. Failures become CliErrors that
// name the interface and say what to do.
import { readdir, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { UapiClient, type WatchSubscription } from '../uapi/client.js';
import { UAPI_ERRNO, UapiError } from '../uapi/errors.js';
import type { SetTransaction } from '../uapi/set-request.js';
import { checkInterfaceName, socketPath } from '../uapi/socket-path.js';
import type { DeviceSnapshot } from '../uapi/status.js';
import type { WatchEvent } from '../uapi/watch.js';
import { CliError, errnoText } from './errors.js';

const SOCK_SUFFIX = '.sock';

/** Interface names with a live daemon, sorted. */
export async function listInterfaces(socketDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(socketDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new CliError(`unable to list interfaces in ${socketDir}: ${describeCode(error)}`, { cause: error });
  }
  const names = entries.filter((entry) => entry.length > SOCK_SUFFIX.length && entry.endsWith(SOCK_SUFFIX)).map((entry) => entry.slice(0, -SOCK_SUFFIX.length));
  const live = await Promise.all(names.map((name) => isLive(name, socketDir)));
  return names.filter((_, index) => live[index]).sort();
}

async function isLive(name: string, socketDir: string): Promise<boolean> {
  let path: string;
  try {
    path = socketPath(name, socketDir);
    if (!(await stat(path)).isSocket()) return false;
  } catch {
    return false;
  }
  const code = await tryConnect(path);
  if (code === 'ECONNREFUSED') await unlink(path).catch(() => undefined);
  // Like wg, a socket we may not connect to (EACCES) is still listed: it is someone's interface.
  return code !== 'ECONNREFUSED' && code !== 'ENOENT';
}

function tryConnect(path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'EIO'));
  });
}

function describeCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied (run as root)';
  return error instanceof Error ? error.message : String(error);
}

function clientFor(iface: string, socketDir: string): UapiClient {
  try {
    checkInterfaceName(iface);
  } catch (error) {
    throw new CliError((error as Error).message, { cause: error });
  }
  return new UapiClient(iface, { socketDir });
}

/** Turns a failure to talk to iface's daemon into a CliError (and removes a dead socket, as wg). */
async function accessError(iface: string, path: string, error: unknown): Promise<CliError> {
  if (error instanceof CliError) return error;
  if (error instanceof UapiError) return new CliError(`interface ${iface}: the daemon answered: ${errnoText(error.errno)}`, { cause: error });
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return new CliError(`no such interface: ${iface} (no daemon listening on ${path})`, { cause: error });
    case 'ECONNREFUSED':
      if (!(await stat(path).catch(() => undefined))?.isSocket()) return new CliError(`interface ${iface}: ${path} is not a socket`, { cause: error });
      await unlink(path).catch(() => undefined);
      return new CliError(`interface ${iface}: its daemon is not running (removed the stale ${path})`, { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new CliError(`interface ${iface}: permission denied on ${path} (run as root)`, { cause: error });
    default:
      return new CliError(`interface ${iface}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

export async function getDevice(iface: string, socketDir: string): Promise<DeviceSnapshot> {
  const client = clientFor(iface, socketDir);
  try {
    return await client.get();
  } catch (error) {
    throw await accessError(iface, client.path, error);
  }
}

/** Subscribes to iface's change events; a CliError when the daemon is missing or has none (wireguard-go). */
export async function watchDevice(iface: string, socketDir: string, onEvent: (event: WatchEvent) => void): Promise<WatchSubscription> {
  const client = clientFor(iface, socketDir);
  try {
    return await client.watch(onEvent);
  } catch (error) {
    // wireguard-go closes the connection on an operation it does not know.
    if (error instanceof UapiError && (error.errno === UAPI_ERRNO.EINVAL || error.errno === UAPI_ERRNO.EPROTO)) {
      throw new CliError(`interface ${iface}: its daemon has no change notifications (watch needs viaguardd)`, { cause: error });
    }
    throw await accessError(iface, client.path, error);
  }
}

/** What in tx only newer daemons know, named when a daemon answers EINVAL. */
function invalidHint(tx: SetTransaction): string {
  const hints: string[] = [];
  if (tx.sourceCheck) hints.push('source-check/SourceCheck is viaguard\'s own setting, which only viaguardd accepts');
  if (tx.peers.some((peer) => peer.allowedIps.some((run) => run.remove))) {
    hints.push('removing single allowed IPs ("-a/b") needs a daemon that supports it (viaguardd, or wireguard-go/Linux from 2025 on)');
  }
  return hints.map((hint) => `; ${hint}`).join('');
}

/** Sends the transaction; a CliError when the daemon refuses it. */
export async function setDevice(iface: string, tx: SetTransaction, socketDir: string): Promise<void> {
  const client = clientFor(iface, socketDir);
  let errno: number;
  try {
    errno = await client.apply(tx);
  } catch (error) {
    throw await accessError(iface, client.path, error);
  }
  if (errno === 0) return;
  const hint = errno === UAPI_ERRNO.EINVAL ? invalidHint(tx) : '';
  throw new CliError(`interface ${iface}: the daemon refused the change: ${errnoText(errno)}${hint}`);
}
