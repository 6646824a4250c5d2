// Reading and checking the config of `viaguard up|down`, all before anything is changed: the
// file is found, parsed whole (a ConfigError names file:line) and its Table resolved.
import { readFile, realpath } from 'node:fs/promises';
import { ConfigError } from '../config/config-error.js';
import { parseWgConfig, scanConfigLines, type WgConfig } from '../config/wg-config.js';
import { QuickError } from './errors.js';
import { accessWarning, locateConfig } from './config-path.js';
import { readTableNames, tableSetting, type TableSetting } from './table.js';

export interface LoadedConfig {
  /** The file, symbolic links resolved (SaveConfig replaces this one). */
  path: string;
  iface: string;
  config: WgConfig;
  table: TableSetting;
}

export async function loadConfig(arg: string, configDir: string | undefined, warn: (line: string) => void): Promise<LoadedConfig> {
  const location = locateConfig(arg, configDir);
  let path: string;
  let text: string;
  try {
    path = await realpath(location.path);
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new QuickError(`\`${location.path}' does not exist`);
    if (code === 'EACCES') throw new QuickError(`\`${location.path}': permission denied (run as root)`);
    throw new QuickError(`\`${location.path}': ${(error as Error).message}`);
  }
  const warning = await accessWarning(path);
  if (warning) warn(warning);
  const config = parseWgConfig(text, { file: path, wgQuick: true });
  const table = tableSetting(config.interface.table, await readTableNames());
  if (!table) {
    const line = scanConfigLines(text, path).filter((entry) => entry.kind === 'entry' && entry.key === 'Table').pop();
    throw new ConfigError({
      file: path,
      line: line?.line ?? 0,
      key: line?.kind === 'entry' ? line.written : 'Table',
      expected: '"off", "auto", a table number or a name from /etc/iproute2/rt_tables',
      got: config.interface.table,
    });
  }
  return { path, iface: location.iface, config, table };
}
