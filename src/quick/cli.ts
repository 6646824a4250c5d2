// The command-line face of up, down and save for the `viaguard` dispatcher: argv after the subcommand in,
// an exit status out; progress and errors on stderr, an error as one line, never a stack trace.
import type { CliIo } from '../cli/cli-io.js';
import { down } from './down.js';
import { save } from './save.js';
import { up } from './up.js';

type Command = 'up' | 'down' | 'save';

export const QUICK_USAGE = (command: Command) => `${command} CONFIG_FILE | INTERFACE`;

function usage(command: Command): string {
  return [
    `Usage: viaguard ${QUICK_USAGE(command)}`,
    '',
    '  CONFIG_FILE is a configuration file whose name is the interface name followed by',
    '  `.conf\'; INTERFACE alone means /etc/wireguard/INTERFACE.conf. The file is what wg-quick(8)',
    '  reads: wg(8)\'s keys, plus Address, DNS, MTU, Table, PreUp, PostUp, PreDown, PostDown and',
    '  SaveConfig in [Interface], and viaguard\'s PeerSelection and SourceCheck.',
    '  The daemon is viaguardd, or the program named by $WG_QUICK_USERSPACE_IMPLEMENTATION.',
    '',
  ].join('\n');
}

async function runSubcommand(command: Command, argv: readonly string[], io: CliIo): Promise<number> {
  if (argv.length === 1 && ['-h', '--help', 'help'].includes(argv[0])) {
    io.write(usage(command));
    return 0;
  }
  if (argv.length !== 1 || argv[0] === '') {
    io.warn(usage(command));
    return 1;
  }
  const log = (line: string) => io.warn(`${line}\n`);
  // An interrupted `up` undoes what it did; `down` runs to its end, as in wg-quick.
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort();
  if (command === 'up') {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    if (command === 'up') await up({ config: argv[0], log, signal: interrupt.signal });
    else if (command === 'down') await down({ config: argv[0], log });
    else await save({ config: argv[0], log });
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.warn(`viaguard ${command}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function runUp(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand('up', argv, io);
}

export function runDown(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand('down', argv, io);
}

/** `viaguard save`: the running interface written back to its config file, as `wg-quick save`. */
export function runSave(argv: readonly string[], io: CliIo): Promise<number> {
  return runSubcommand('save', argv, io);
}
