// `viaguard strip CONFIG|IFACE`: the config file without wg-quick's keys, for `viaguard
// syncconf` (as `wg-quick strip` feeds `wg syncconf`). viaguard's own keys stay: viaguard's
// setconf/syncconf understand them.
import { stripWgQuick } from '../config/wg-config-format.js';
import { locateConfig } from '../quick/config-path.js';
import type { CliIo } from './cli-io.js';
import { CliError } from './errors.js';
import { readUserFile } from './read-file.js';

export const STRIP_USAGE = 'strip CONFIG_FILE | INTERFACE';

export async function stripCommand(args: string[], io: CliIo): Promise<number> {
  if (args.length !== 1) throw new CliError(`strip: expected one config file or interface; usage: viaguard ${STRIP_USAGE}`);
  let path: string;
  try {
    path = locateConfig(args[0]).path;
  } catch (error) {
    throw new CliError((error as Error).message, { cause: error });
  }
  const text = (await readUserFile(path)).toString('utf8');
  io.write(stripWgQuick(text, { file: path, keepViaguardKeys: true }));
  return 0;
}
