// `viaguard set <interface> …`: one UAPI set request built from the arguments (set-args.ts).
import type { CliIo } from './cli-io.js';
import { setDevice } from './device-access.js';
import { CliError } from './errors.js';
import { readKeyFile } from './key-file.js';
import { endpointResolver } from './resolve-endpoint.js';
import { parseSetArgs, SET_USAGE } from './set-args.js';

export async function setCommand(args: string[], io: CliIo): Promise<number> {
  if (args.length < 2) throw new CliError(`set: expected an interface and at least one option; usage: viaguard ${SET_USAGE}`);
  const [iface, ...options] = args;
  const tx = await parseSetArgs(options, { readKeyFile, resolve: endpointResolver({ retries: io.env.WG_ENDPOINT_RESOLUTION_RETRIES, warn: io.warn }) });
  await setDevice(iface, tx, io.socketDir);
  return 0;
}
