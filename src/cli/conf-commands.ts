// `viaguard setconf|addconf|syncconf <interface> <file>`, as wg (wireguard-tools src/setconf.c):
// the file takes wg's keys plus viaguard's own (wg-quick's keys are refused, as wg does), is
// checked in full, and only then sent as one UAPI set request.
import { parseWgConfig } from '../config/wg-config.js';
import { configToSetTransaction } from '../uapi/config-transaction.js';
import type { CliIo } from './cli-io.js';
import { getDevice, setDevice } from './device-access.js';
import { CliError } from './errors.js';
import { readUserFile } from './read-file.js';
import { endpointResolver } from './resolve-endpoint.js';
import { syncTransaction } from './sync-conf.js';

export type ConfMode = 'setconf' | 'addconf' | 'syncconf';

export const CONF_USAGE = (mode: ConfMode) => `${mode} <interface> <configuration filename>`;

export function confCommand(mode: ConfMode) {
  return async (args: string[], io: CliIo): Promise<number> => {
    if (args.length !== 2) throw new CliError(`${mode}: expected an interface and a file; usage: viaguard ${CONF_USAGE(mode)}`);
    const [iface, path] = args;
    const config = parseWgConfig((await readUserFile(path)).toString('utf8'), { file: path, wgQuick: false });
    let tx = await configToSetTransaction(config, { replace: mode !== 'addconf', resolve: endpointResolver({ retries: io.env.WG_ENDPOINT_RESOLUTION_RETRIES, warn: io.warn }) });
    if (mode === 'syncconf') tx = syncTransaction(tx, await getDevice(iface, io.socketDir));
    await setDevice(iface, tx, io.socketDir);
    return 0;
  };
}
