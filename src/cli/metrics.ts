// `viaguard metrics [<interface> | all] [--output FILE]`: the Prometheus text format (see
// metrics-format.ts) on stdout, or written atomically to FILE for node_exporter's textfile
// collector (systemd/viaguard-metrics.timer runs it every 15 s). Any interface that cannot be
// read fails the whole command and leaves FILE as it was: a scrape never sees half a picture.
import { dirname } from 'node:path';
import { writeFileAtomically } from '../atomic-file.js';
import type { CliIo } from './cli-io.js';
import { getDevice, listInterfaces } from './device-access.js';
import { CliError } from './errors.js';
import { formatMetrics } from './metrics-format.js';

export const METRICS_USAGE = 'metrics [<interface> | all] [--output <file>]';
export const METRICS_HELP = `Prints the Prometheus text exposition format: per peer, with the names and labels of
prometheus_wireguard_exporter (labels interface, public_key, allowed_ips, endpoint):
  wireguard_sent_bytes_total, wireguard_received_bytes_total, wireguard_latest_handshake_seconds
and viaguard's own counters (viaguardd only; a counter the daemon has not reported yet is 0):
  viaguard_source_check_drops_total{interface,public_key}
  viaguard_dropped_packets_total{interface,reason}, viaguard_handshake_dropped_total{interface,reason}
  viaguard_handshakes_accepted_total{interface,message="initiation"|"response"},
  viaguard_cookie_replies_sent_total, viaguard_data_packets_sent_total, … {interface}
No interface, or "all": every interface. --output FILE replaces FILE atomically (FILE.tmp, then a
rename), for node_exporter's --collector.textfile.directory; on any failure FILE is left as it was.`;

function parseArgs(args: string[]): { target: string; output?: string } {
  const positional: string[] = [];
  let output: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--output' || arg === '-o') {
      output = args[++i];
      if (output === undefined || output === '') throw new CliError('metrics: --output needs a file name');
    } else if (arg.startsWith('--output=')) {
      output = arg.slice('--output='.length);
      if (output === '') throw new CliError('metrics: --output needs a file name');
    } else if (arg.startsWith('-')) throw new CliError(`metrics: unknown option ${arg}; usage: viaguard ${METRICS_USAGE}`);
    else positional.push(arg);
  }
  if (positional.length > 1) throw new CliError(`metrics: too many arguments; usage: viaguard ${METRICS_USAGE}`);
  return { target: positional[0] ?? 'all', output };
}

function writeError(path: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'ENOENT' ? `no such directory ${dirname(path)}`
    : code === 'EISDIR' ? 'is a directory'
    : (error as Error).message;
  return new CliError(`metrics: cannot write ${path}: ${why}`, { cause: error });
}

export async function metricsCommand(args: string[], io: CliIo): Promise<number> {
  const { target, output } = parseArgs(args);
  const names = target === 'all' ? await listInterfaces(io.socketDir) : [target];
  const devices = [];
  for (const name of names) {
    try {
      devices.push({ name, device: await getDevice(name, io.socketDir) });
    } catch (error) {
      // With "all", an interface taken down since it was listed is simply gone, not a failure.
      if (target === 'all' && !(await listInterfaces(io.socketDir)).includes(name)) continue;
      throw error;
    }
  }
  const text = formatMetrics(devices);
  if (output === undefined) {
    io.write(text);
    return 0;
  }
  try {
    await writeFileAtomically(output, text, 0o644);
  } catch (error) {
    throw writeError(output, error);
  }
  return 0;
}
