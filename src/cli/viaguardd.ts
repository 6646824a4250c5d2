#!/usr/bin/env node
// viaguardd [-f|--foreground] [--peer-selection allowed-ips|route] [--threads N] [--queues N] IFACE
// The wireguard-go contract (so WG_QUICK_USERSPACE_IMPLEMENTATION=viaguardd wg-quick up works):
// daemonizes unless -f or WG_PROCESS_FOREGROUND=1, and the launching process returns only once
// the TUN device and the UAPI socket exist (exit 0) or setup failed (exit 1, one clear line).
import { spawn } from 'node:child_process';
import { closeSync, readFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PEER_SELECTIONS, type PeerSelection } from '../config/wg-config.js';
import { createLogger, parseLogLevel, type Logger } from '../log.js';
// wg-quick starts the daemon with the interface name only: the environment carries the choice.
import { PEER_SELECTION_ENV } from '../quick/daemon.js';
import { runDaemon } from '../daemon.js';
import { MAX_QUEUES, MAX_THREADS } from '../native/dataplane.js';
import { checkInterfaceName } from '../uapi/socket-path.js';
import { helpText } from './manual.js';
import { VIAGUARDD_MANUAL } from './viaguardd-manual.js';

const USAGE = `usage: ${VIAGUARDD_MANUAL.synopsis[0]} (see viaguardd --help)`;
// The crypto workers when --threads is absent (default: one per CPU the process may use).
const THREADS_ENV = 'VIAGUARD_THREADS';
// The packet queues when --queues is absent (default: one per four CPUs).
const QUEUES_ENV = 'VIAGUARD_QUEUES';
// Test knob: rekey after this many messages per session instead of 2^60 (DataPlaneOptions.rekeyAfterMessages).
const TEST_REKEY_AFTER_MESSAGES_ENV = 'VIAGUARD_TEST_REKEY_AFTER_MESSAGES';
// The daemonized child reports readiness ("ok") or the setup error on this inherited pipe.
const READY_FD_ENV = 'VIAGUARD_READY_FD';

interface Options {
  foreground: boolean;
  ifname: string;
  peerSelection: PeerSelection;
  threads: number | undefined;
  queues: number | undefined;
  rekeyAfterMessages: number | undefined;
}

function checkCount(value: string, from: string, what: string, max: number): number | string {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  return n >= 1 && n <= max ? n : `${from}: expected a number of ${what} in 1..${max}, got ${JSON.stringify(value)}`;
}
const checkThreads = (value: string, from: string) => checkCount(value, from, 'threads', MAX_THREADS);
const checkQueues = (value: string, from: string) => checkCount(value, from, 'queues', MAX_QUEUES);

function checkRekeyAfterMessages(value: string): number | string {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  return n >= 1 && n <= Number.MAX_SAFE_INTEGER ? n : `${TEST_REKEY_AFTER_MESSAGES_ENV}: expected a number of messages in 1..2^53-1, got ${JSON.stringify(value)}`;
}

function checkPeerSelection(value: string, from: string): PeerSelection | string {
  return PEER_SELECTIONS.find((p) => p === value) ?? `${from}: expected ${PEER_SELECTIONS.join(' or ')}, got ${JSON.stringify(value)}`;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function parseCommandLine(argv: string[]): Options | string {
  let foreground = process.env.WG_PROCESS_FOREGROUND === '1';
  const fromEnv = process.env[PEER_SELECTION_ENV];
  let peerSelection = fromEnv === undefined || fromEnv === '' ? 'allowed-ips' : checkPeerSelection(fromEnv, PEER_SELECTION_ENV);
  const threadsEnv = process.env[THREADS_ENV];
  let threads: number | string | undefined = threadsEnv === undefined || threadsEnv === '' ? undefined : checkThreads(threadsEnv, THREADS_ENV);
  const queuesEnv = process.env[QUEUES_ENV];
  let queues: number | string | undefined = queuesEnv === undefined || queuesEnv === '' ? undefined : checkQueues(queuesEnv, QUEUES_ENV);
  const rekeyEnv = process.env[TEST_REKEY_AFTER_MESSAGES_ENV];
  const rekeyAfterMessages = rekeyEnv === undefined || rekeyEnv === '' ? undefined : checkRekeyAfterMessages(rekeyEnv);
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-f' || arg === '--foreground') foreground = true;
    else if (arg === '--peer-selection') {
      if (i + 1 >= argv.length) return `--peer-selection needs a value\n${USAGE}`;
      peerSelection = checkPeerSelection(argv[++i], '--peer-selection');
    } else if (arg.startsWith('--peer-selection=')) peerSelection = checkPeerSelection(arg.slice('--peer-selection='.length), '--peer-selection');
    else if (arg === '--threads') {
      if (i + 1 >= argv.length) return `--threads needs a value\n${USAGE}`;
      threads = checkThreads(argv[++i], '--threads');
    } else if (arg.startsWith('--threads=')) threads = checkThreads(arg.slice('--threads='.length), '--threads');
    else if (arg === '--queues') {
      if (i + 1 >= argv.length) return `--queues needs a value\n${USAGE}`;
      queues = checkQueues(argv[++i], '--queues');
    } else if (arg.startsWith('--queues=')) queues = checkQueues(arg.slice('--queues='.length), '--queues');
    else if (arg.startsWith('-')) return `unknown option ${arg}\n${USAGE}`;
    else names.push(arg);
  }
  if (peerSelection !== 'allowed-ips' && peerSelection !== 'route') return peerSelection;
  if (typeof threads === 'string') return threads;
  if (typeof queues === 'string') return queues;
  if (typeof rekeyAfterMessages === 'string') return rekeyAfterMessages;
  if (names.length !== 1) return USAGE;
  try {
    return { foreground, ifname: checkInterfaceName(names[0]), peerSelection, threads, queues, rekeyAfterMessages };
  } catch (error) {
    return (error as Error).message;
  }
}

/** Parent side of daemonizing: start a detached copy of ourselves and wait for its verdict. */
async function daemonize(argv: string[]): Promise<number> {
  // As wireguard-go: the daemon keeps our stdout/stderr only when LOG_LEVEL asks for output.
  const keepOutput = process.env.LOG_LEVEL !== undefined && parseLogLevel(process.env.LOG_LEVEL) !== 'silent';
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...argv], {
    detached: true,
    env: { ...process.env, WG_PROCESS_FOREGROUND: '1', [READY_FD_ENV]: '3' },
    stdio: ['ignore', keepOutput ? 'inherit' : 'ignore', keepOutput ? 'inherit' : 'ignore', 'pipe'],
  });
  const verdictPipe = child.stdio[3];
  let verdict = '';
  verdictPipe?.on('data', (d: Buffer) => (verdict += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve) => {
    verdictPipe?.once('close', () => resolve());
    void exited.then(() => resolve());
  });
  if (verdict.trim() === 'ok') {
    child.unref();
    return 0;
  }
  process.stderr.write(`${verdict.trim() || `viaguardd: daemon exited with code ${await exited} during setup`}\n`);
  return 1;
}

/** A descriptor handed down by wireguard-go's convention (WG_TUN_FD, WG_UAPI_FD). */
function inheritedFd(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`${name}=${value} is not a file descriptor number`);
  return Number(value);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText(VIAGUARDD_MANUAL));
    return 0;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(`viaguardd v${version()}\n`);
    return 0;
  }
  const parsed = parseCommandLine(argv);
  if (typeof parsed === 'string') {
    process.stderr.write(`viaguardd: ${parsed}\n`);
    return 1;
  }
  if (!parsed.foreground) return daemonize(argv);

  const readyFd = process.env[READY_FD_ENV] === undefined ? undefined : Number(process.env[READY_FD_ENV]);
  delete process.env[READY_FD_ENV];
  // Synchronous, so the verdict is out before a failing daemon exits.
  const report = (verdict: string) => {
    if (readyFd === undefined) return false;
    writeSync(readyFd, `${verdict}\n`);
    closeSync(readyFd);
    return true;
  };
  const log: Logger = createLogger(parsed.ifname, parseLogLevel(process.env.LOG_LEVEL));
  if (parsed.rekeyAfterMessages !== undefined) log.error(`test knob ${TEST_REKEY_AFTER_MESSAGES_ENV}: sessions are renewed after ${parsed.rekeyAfterMessages} messages, not 2^60`);
  try {
    const daemon = await runDaemon({
      ifname: parsed.ifname,
      tunFd: inheritedFd('WG_TUN_FD'),
      uapiFd: inheritedFd('WG_UAPI_FD'),
      peerSelection: parsed.peerSelection,
      threads: parsed.threads,
      queues: parsed.queues,
      rekeyAfterMessages: parsed.rekeyAfterMessages,
      log,
    });
    report('ok');
    await daemon.stopped;
    return 0;
  } catch (err) {
    const message = `viaguardd: ${(err as Error).message}`;
    if (!report(message)) process.stderr.write(`${message}\n`);
    return 1;
  }
}

process.exit(await main());
