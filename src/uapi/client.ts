// A typed UAPI client, one connection per request as `wg` does it: get() returns the parsed
// device, set() sends lines and returns the daemon's errno (0 on success, negative otherwise).
import { connect, type Socket } from 'node:net';
import { LineSplitter, OVERLONG } from './line-splitter.js';
import { UAPI_ERRNO, UapiError } from './errors.js';
import { DEFAULT_SOCKET_DIR, socketPath } from './socket-path.js';
import { GetResponseParser, type DeviceSnapshot } from './status.js';
import { WatchEventParser, type WatchEvent } from './watch.js';
import { formatSetTransaction } from './set-format.js';
import type { SetTransaction } from './set-request.js';

export interface UapiClientOptions {
  /** Default /var/run/wireguard. */
  socketDir?: string;
  /** Give up on a daemon that does not answer within this time; default 30 s. */
  timeoutMs?: number;
}

const WRITE_CHUNK = 64 * 1024;

export interface WatchSubscription {
  /** Settles when the stream ends; rejects when it broke the protocol. */
  ended: Promise<void>;
  close(): void;
}

export class UapiClient {
  readonly path: string;
  private readonly timeoutMs: number;

  constructor(
    readonly iface: string,
    options: UapiClientOptions = {},
  ) {
    this.path = socketPath(iface, options.socketDir ?? DEFAULT_SOCKET_DIR);
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The device as the daemon reports it; throws UapiError when the daemon answers errno != 0. */
  async get(): Promise<DeviceSnapshot> {
    const parser = new GetResponseParser();
    await this.exchange(['get=1\n\n'], (line) => parser.line(line));
    return parser.finish();
  }

  /** Sends `set=1`, the lines (without '\n') and a blank line; returns the errno answered. */
  async set(lines: Iterable<string>): Promise<number> {
    let errno: number | undefined;
    await this.exchange(setRequestChunks(lines), (line) => {
      const match = /^errno=(-?\d+)$/.exec(line);
      if (!match || errno !== undefined) throw new UapiError(UAPI_ERRNO.EPROTO, `set reply: unexpected line ${JSON.stringify(line)}`);
      errno = Number(match[1]);
    });
    if (errno === undefined) throw new UapiError(UAPI_ERRNO.EPROTO, 'set reply: no errno line');
    return errno;
  }

  /**
   * Subscribes to the daemon's change events (watch.ts). Resolves once the daemon accepted the
   * subscription; `ended` settles when either side closes the stream (rejects on a protocol error).
   */
  async watch(onEvent: (event: WatchEvent) => void): Promise<WatchSubscription> {
    const socket = await this.open();
    socket.setTimeout(0);
    const splitter = new LineSplitter();
    const parser = new WatchEventParser(onEvent);
    // The reply is `errno=N` and a blank line; events follow only after errno=0.
    let errnoLine: number | undefined;
    let streaming = false;
    let acknowledge: (errno: number) => void = () => undefined;
    const acknowledged = new Promise<number>((resolve) => (acknowledge = resolve));
    const ended = (async () => {
      for await (const chunk of socket as AsyncIterable<Buffer>) {
        for (const line of splitter.push(chunk)) {
          if (line === OVERLONG) throw new UapiError(UAPI_ERRNO.EPROTO, 'watch stream: line too long');
          if (streaming) {
            parser.line(line);
          } else if (errnoLine === undefined) {
            const match = /^errno=(-?\d+)$/.exec(line);
            if (!match) throw new UapiError(UAPI_ERRNO.EPROTO, `watch reply: unexpected line ${JSON.stringify(line)}`);
            errnoLine = Number(match[1]);
          } else {
            streaming = true;
            acknowledge(errnoLine);
          }
        }
      }
    })();
    const done = ended.finally(() => acknowledge(UAPI_ERRNO.EPROTO));
    done.catch(() => undefined);
    socket.write('watch=1\n\n');
    const errno = await acknowledged;
    if (errno !== 0) {
      socket.destroy();
      throw new UapiError(errno, `interface ${this.iface}: the daemon refused watch=1 (errno=${errno})`);
    }
    return { ended: done, close: () => socket.destroy() };
  }

  /** set() of a transaction. */
  apply(tx: SetTransaction): Promise<number> {
    return this.set(formatSetTransaction(tx));
  }

  /** Writes the request, feeds each reply line to onLine until the reply's blank line. */
  private async exchange(request: Iterable<string>, onLine: (line: string) => void): Promise<void> {
    const socket = await this.open();
    try {
      const reply = this.readReply(socket, onLine);
      reply.catch(() => undefined); // observed below; a write error must not leave it unhandled
      for (const chunk of request) {
        if (!socket.write(chunk)) await waitDrain(socket);
      }
      await reply;
    } finally {
      socket.destroy();
    }
  }

  private async readReply(socket: Socket, onLine: (line: string) => void): Promise<void> {
    const splitter = new LineSplitter();
    for await (const chunk of socket as AsyncIterable<Buffer>) {
      for (const line of splitter.push(chunk)) {
        if (line === OVERLONG) throw new UapiError(UAPI_ERRNO.EPROTO, 'reply line too long');
        if (line === '') return;
        onLine(line);
      }
    }
    throw new UapiError(UAPI_ERRNO.EPROTO, `interface ${this.iface}: the daemon closed the connection before the end of its reply`);
  }

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.path);
      socket.setTimeout(this.timeoutMs, () => socket.destroy(new Error(`interface ${this.iface}: no answer from ${this.path} within ${this.timeoutMs} ms`)));
      socket.once('connect', () => resolve(socket));
      socket.once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') reject(new Error(`interface ${this.iface}: no daemon (no ${this.path})`, { cause: error }));
        else if (error.code === 'ECONNREFUSED') reject(new Error(`interface ${this.iface}: the daemon is gone (${this.path} refuses connections)`, { cause: error }));
        else reject(error);
      });
    });
  }
}

/** The request as chunks of at most ~64 KiB, so a million lines never form one string. */
export function* setRequestChunks(lines: Iterable<string>): Generator<string> {
  let buffer = 'set=1\n';
  for (const line of lines) {
    if (line.includes('\n') || line === '') throw new TypeError(`a UAPI line must be non-empty and hold no line break: ${JSON.stringify(line)}`);
    buffer += `${line}\n`;
    if (buffer.length >= WRITE_CHUNK) {
      yield buffer;
      buffer = '';
    }
  }
  yield `${buffer}\n`;
}

function waitDrain(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    socket.once('error', onError);
    socket.once('drain', () => {
      socket.off('error', onError);
      resolve();
    });
  });
}
