// One readable line per event, filtered by wireguard-go's LOG_LEVEL (verbose | error | silent).
export type LogLevel = 'verbose' | 'error' | 'silent';

export interface Logger {
  verbose(message: string): void;
  error(message: string): void;
  /** False when verbose lines go nowhere: work done only to phrase them can be skipped. */
  readonly verboseEnabled?: boolean;
}

export function parseLogLevel(value: string | undefined): LogLevel {
  switch ((value ?? '').toLowerCase()) {
    case 'verbose':
    case 'debug':
      return 'verbose';
    case 'silent':
      return 'silent';
    default:
      return 'error';
  }
}

export function createLogger(tag: string, level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const line = (kind: string, message: string) => `${new Date().toISOString()} ${kind} (${tag}) ${message}\n`;
  return {
    verboseEnabled: level === 'verbose',
    verbose: (message) => {
      if (level === 'verbose') write(line('DEBUG', message));
    },
    error: (message) => {
      if (level !== 'silent') write(line('ERROR', message));
    },
  };
}

/** Logs at most `perInterval` messages of one kind per interval; the rest are counted and summarised. */
export function rateLimited(log: (message: string) => void, perInterval = 5, intervalMs = 1000, now = () => Date.now()): (message: string) => void {
  let windowStart = 0;
  let used = 0;
  let suppressed = 0;
  return (message) => {
    const t = now();
    if (t - windowStart >= intervalMs) {
      if (suppressed > 0) log(`(${suppressed} similar messages suppressed)`);
      windowStart = t;
      used = 0;
      suppressed = 0;
    }
    if (used < perInterval) {
      used++;
      log(message);
    } else {
      suppressed++;
    }
  };
}
