#!/usr/bin/env node
// `viaguard`: wg(8)'s subcommands over the UAPI, against viaguardd or any wireguard-go.
import { processIo } from './cli-io.js';
import { COMMANDS } from './commands.js';
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2), processIo(), COMMANDS);
