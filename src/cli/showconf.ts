// `viaguard showconf <interface>`: the device as a config file, as `wg showconf` prints it.
import type { CliIo } from './cli-io.js';
import { getDevice } from './device-access.js';
import { CliError } from './errors.js';
import { showconfText } from './showconf-format.js';

export const SHOWCONF_USAGE = 'showconf <interface>';

export async function showconfCommand(args: string[], io: CliIo): Promise<number> {
  if (args.length !== 1) throw new CliError(`showconf: expected one interface; usage: viaguard ${SHOWCONF_USAGE}`);
  io.write(showconfText(await getDevice(args[0], io.socketDir)));
  return 0;
}
