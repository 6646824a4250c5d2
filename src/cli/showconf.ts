// `viaguard showconf <interface>`: the device as a config file, as `wg showconf` prints it
// (wireguard-tools src/showconf.c), plus viaguard's own [Interface] keys when the daemon has them.
import { formatWgConfig } from '../config/wg-config-format.js';
import { configFromStatus } from '../uapi/status-config.js';
import type { CliIo } from './cli-io.js';
import { getDevice } from './device-access.js';
import { CliError } from './errors.js';

export const SHOWCONF_USAGE = 'showconf <interface>';

export async function showconfCommand(args: string[], io: CliIo): Promise<number> {
  if (args.length !== 1) throw new CliError(`showconf: expected one interface; usage: viaguard ${SHOWCONF_USAGE}`);
  const device = await getDevice(args[0], io.socketDir);
  const text = formatWgConfig(configFromStatus(device));
  // showconf.c ends the [Interface] section with a blank line even when no [Peer] follows.
  io.write(device.peers.length ? text : `${text}\n`);
  return 0;
}
