// `viaguard watch IFACE`: the daemon's change events (uapi/watch.ts), one JSON object per line,
// until the daemon goes away or the user interrupts. Keys are base64 as wg prints them.
import { watchEventJson } from '../uapi/watch-json.js';
import type { CliIo } from './cli-io.js';
import { watchDevice } from './device-access.js';
import { CliError } from './errors.js';

export const WATCH_USAGE = 'watch <interface>';
export const WATCH_HELP = `Prints one JSON object per line for each change, as it happens:
  {"time_unix_ms":N,"event":"peer_added"|"peer_changed"|"peer_removed","public_key":"…"}
  {"time_unix_ms":N,"event":"allowed_ips","public_key":"…","added":N,"removed":N,
   "allowed_ips_added":["10.0.0.0/8",…],"allowed_ips_removed":[…]}   (lists only for small changes)
  {"time_unix_ms":N,"event":"endpoint"|"session","public_key":"…","endpoint":"1.2.3.4:51820"}
  {"time_unix_ms":N,"event":"handshake_failed","public_key":"…"}
  {"time_unix_ms":N,"event":"resync","dropped":N}   (events were lost: read the state again)
time_unix_ms: when the event arrived, Unix time in milliseconds. JSON Schema: schemas/watch-event.schema.json
in the package.`;

export async function watchCommand(args: string[], io: CliIo): Promise<number> {
  if (args.length !== 1) throw new CliError(`usage: viaguard ${WATCH_USAGE}`);
  const subscription = await watchDevice(args[0], io.socketDir, (event) => io.write(`${JSON.stringify(watchEventJson(event, Date.now()))}\n`));
  const stop = () => subscription.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await subscription.ended;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
