// Where `viaguard up|down CONFIG|IFACE` finds its config, as wg-quick's parse_options does: a
// bare interface name means /etc/wireguard/IFACE.conf, any other argument is a path whose file
// name is the interface name followed by ".conf".
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { checkInterfaceName } from '../uapi/socket-path.js';
import { QuickError } from './errors.js';

export const DEFAULT_CONFIG_DIR = '/etc/wireguard';

export interface ConfigLocation {
  path: string;
  iface: string;
}

function isInterfaceName(text: string): boolean {
  try {
    checkInterfaceName(text);
    return true;
  } catch {
    return false;
  }
}

export function locateConfig(arg: string, configDir = DEFAULT_CONFIG_DIR): ConfigLocation {
  const path = isInterfaceName(arg) ? join(configDir, `${arg}.conf`) : arg;
  const match = /^(.*)\.conf$/.exec(basename(path));
  if (!match || !isInterfaceName(match[1])) {
    throw new QuickError(`\`${path}': the config file must be named after its interface (1-15 of a-z A-Z 0-9 _ = + . -) followed by .conf`);
  }
  return { path, iface: match[1] };
}

/**
 * A warning when others may open the file: it grants them any permission and its directory
 * lets them reach it. (wg-quick ANDs the two modes' "other" bits, which misses a 0644 file in a
 * 0711 directory: anyone who knows the name can read it.)
 */
export async function accessWarning(path: string): Promise<string | undefined> {
  const file = await stat(path);
  const dir = await stat(dirname(path));
  if ((file.mode & 0o007) !== 0 && (dir.mode & 0o001) !== 0) return `Warning: \`${path}' is world accessible`;
  return undefined;
}
