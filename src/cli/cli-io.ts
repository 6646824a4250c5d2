// What a subcommand may touch of the outside world, passed in so tests can run the commands in
// process with fixed time, captured output and another socket directory.
import { fstatSync } from 'node:fs';
import { DEFAULT_SOCKET_DIR } from '../uapi/socket-path.js';

export interface CliIo {
  /** Standard output. */
  write(text: string): void;
  /** Standard error; one complete line per call, with its '\n'. */
  warn(text: string): void;
  /** All of standard input. */
  readStdin(): Promise<Buffer>;
  env: NodeJS.ProcessEnv;
  stdoutIsTty: boolean;
  /** stdout is a regular file others may read (genkey warns then, as wg). */
  stdoutIsWorldReadableFile(): boolean;
  /** Unix time in seconds. */
  now(): number;
  /** Where UAPI sockets live (/var/run/wireguard). */
  socketDir: string;
}

export function processIo(): CliIo {
  // A reader that went away (`viaguard show | head`) ends the command quietly, as SIGPIPE ends wg.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(1);
    throw error;
  });
  return {
    write: (text) => void process.stdout.write(text),
    warn: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    env: process.env,
    stdoutIsTty: process.stdout.isTTY === true,
    stdoutIsWorldReadableFile: () => {
      try {
        const stats = fstatSync(1);
        return stats.isFile() && (stats.mode & 0o007) !== 0;
      } catch {
        return false;
      }
    },
    now: () => Math.floor(Date.now() / 1000),
    socketDir: DEFAULT_SOCKET_DIR,
  };
}
