// Where a daemon's UAPI socket lives: /var/run/wireguard/<iface>.sock (wireguard-go
// ipc/uapi_unix.go), the directory `wg` scans to list userspace interfaces.
import { join } from 'node:path';

export const DEFAULT_SOCKET_DIR = '/var/run/wireguard';

// wg-quick's interface name rule (src/wg-quick/linux.bash); IFNAMSIZ leaves 15 characters.
const INTERFACE_NAME = /^[a-zA-Z0-9_=+.-]{1,15}$/;

export function checkInterfaceName(name: string): string {
  if (typeof name !== 'string') throw new TypeError('an interface name must be a string');
  if (!INTERFACE_NAME.test(name) || name === '.' || name === '..') {
    throw new RangeError(`not a valid interface name: ${JSON.stringify(name)} (1-15 of a-z A-Z 0-9 _ = + . -)`);
  }
  return name;
}

export function socketPath(iface: string, socketDir = DEFAULT_SOCKET_DIR): string {
  return join(socketDir, `${checkInterfaceName(iface)}.sock`);
}
