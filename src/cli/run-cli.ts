// The command line's dispatcher: `viaguard <command> [<args>]` through the COMMANDS table, help
// texts, and the one rule for failures: one line on stderr (`viaguard: …`) and exit status 1.
// VIAGUARD_DEBUG=1 adds the stack trace of an unexpected error.
import { readFileSync } from 'node:fs';
import { suggest } from '../config/suggest.js';
import type { CliIo } from './cli-io.js';
import type { Command } from './commands.js';
import { CliError, describeError } from './errors.js';

const HELP = ['-h', '--help', 'help'];

function mainUsage(commands: ReadonlyMap<string, Command>): string {
  const lines = [...commands].map(([name, command]) => `  ${name}: ${command.summary}`);
  return `Usage: viaguard <cmd> [<args>]\n\nAvailable subcommands:\n${lines.join('\n')}\nYou may pass \`--help' to any of these subcommands to view usage.\n`;
}

function commandUsage(command: Command): string {
  return `Usage: viaguard ${command.usage}\n${command.help ? `\n${command.help}\n` : ''}`;
}

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `viaguard v${manifest.version}\n`;
}

export async function runCli(argv: readonly string[], io: CliIo, commands: ReadonlyMap<string, Command>): Promise<number> {
  const [name = 'show', ...args] = argv;
  try {
    if (HELP.includes(name)) {
      const topic = args[0] === undefined ? undefined : commands.get(args[0]);
      io.write(topic ? commandUsage(topic) : mainUsage(commands));
      return 0;
    }
    if (name === '--version' || name === 'version') {
      io.write(version());
      return 0;
    }
    const command = commands.get(name);
    if (!command) {
      const hint = suggest(name, [...commands.keys()]);
      throw new CliError(`invalid subcommand "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; see viaguard --help`);
    }
    if (args.length === 1 && HELP.includes(args[0])) {
      io.write(commandUsage(command));
      return 0;
    }
    return await command.run(args, io);
  } catch (error) {
    io.warn(`viaguard: ${describeError(error)}\n`);
    if (io.env.VIAGUARD_DEBUG && !(error instanceof CliError) && error instanceof Error && error.stack) io.warn(`${error.stack}\n`);
    return 1;
  }
}
