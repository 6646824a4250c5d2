// The subcommands of `viaguard`, by name. The table is the one place a subcommand is registered:
// the entry point dispatches through it and the help text lists it, so adding a command (up,
// down, …) is one more entry.
import type { CliIo } from './cli-io.js';
import { confCommand, CONF_USAGE } from './conf-commands.js';
import { genkeyCommand, pubkeyCommand } from './keys-commands.js';
import { metricsCommand, METRICS_HELP, METRICS_USAGE } from './metrics.js';
import { SET_USAGE } from './set-args.js';
import { setCommand } from './set.js';
import { showCommand, SHOW_HELP, SHOW_USAGE } from './show.js';
import { showconfCommand, SHOWCONF_USAGE } from './showconf.js';
import { QUICK_USAGE, runDown, runSave, runUp } from '../quick/cli.js';
import { routesCommand, ROUTES_USAGE } from './routes.js';
import { stripCommand, STRIP_USAGE } from './strip.js';
import { watchCommand, WATCH_HELP, WATCH_USAGE } from './watch.js';

export interface Command {
  /** One line for the command list. */
  summary: string;
  /** The arguments, starting with the command's name. */
  usage: string;
  /** More text for `viaguard <command> --help`. */
  help?: string;
  /** Resolves to the exit status; throws CliError (or any error) for a one-line failure. */
  run(args: string[], io: CliIo): Promise<number>;
}

export const COMMANDS = new Map<string, Command>([
  ['show', { summary: 'Shows the current configuration and device information', usage: SHOW_USAGE, help: SHOW_HELP, run: showCommand }],
  ['showconf', { summary: 'Shows the current configuration of a given WireGuard interface, for use with `setconf`', usage: SHOWCONF_USAGE, run: showconfCommand }],
  ['set', { summary: 'Change the current configuration, add peers, remove peers, or change peers', usage: SET_USAGE, run: setCommand }],
  ['setconf', { summary: 'Applies a configuration file to a WireGuard interface', usage: CONF_USAGE('setconf'), run: confCommand('setconf') }],
  ['addconf', { summary: 'Appends a configuration file to a WireGuard interface', usage: CONF_USAGE('addconf'), run: confCommand('addconf') }],
  ['syncconf', { summary: 'Synchronizes a configuration file to a WireGuard interface', usage: CONF_USAGE('syncconf'), run: confCommand('syncconf') }],
  ['genkey', { summary: 'Generates a new private key and writes it to stdout', usage: 'genkey', run: genkeyCommand(true) }],
  ['genpsk', { summary: 'Generates a new preshared key and writes it to stdout', usage: 'genpsk', run: genkeyCommand(false) }],
  ['up', { summary: 'Brings an interface up from a wg-quick style config file, with viaguard\'s own keys', usage: QUICK_USAGE('up'), run: runUp }],
  ['down', { summary: 'Takes down an interface brought up with `up`', usage: QUICK_USAGE('down'), run: runDown }],
  ['save', { summary: 'Writes a running interface back to its config file, as wg-quick save', usage: QUICK_USAGE('save'), run: runSave }],
  ['routes', { summary: 'Lists every route through an interface, in every table, with the peer it reaches', usage: ROUTES_USAGE, run: routesCommand }],
  ['metrics', { summary: 'Prints counters in the Prometheus text format (prometheus_wireguard_exporter\'s names), or writes them for node_exporter', usage: METRICS_USAGE, help: METRICS_HELP, run: metricsCommand }],
  ['strip', { summary: 'Prints a config file without its wg-quick keys, for syncconf', usage: STRIP_USAGE, run: stripCommand }],
  ['watch', { summary: 'Prints changes to a viaguardd interface as they happen, one JSON object per line', usage: WATCH_USAGE, help: WATCH_HELP, run: watchCommand }],
  ['pubkey', { summary: 'Reads a private key from stdin and writes a public key to stdout', usage: 'pubkey', run: pubkeyCommand }],
]);
