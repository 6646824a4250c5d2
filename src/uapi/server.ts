// The UAPI unix socket server, behaving as wireguard-go's (ipc/uapi_unix.go, device/uapi.go
// IpcHandle): /var/run/wireguard/<iface>.sock, the directory made mode 0755, the socket bound
// mode 0600 (umask 177); a socket that still answers means a live daemon (refuse), a dead one is
// replaced. Requests on a connection run one after another: `get=1\n\n`, `set=1\n...\n\n`.
// Departures from wireguard-go, on purpose: a set request is applied only after its blank line
// and only when every line is valid (the handler gets one SetTransaction), and a failed request
// is answered `errno=N` with the connection still usable; an unknown operation line is answered
// errno=-22 and a line over 64 KiB errno=-71, and the connection is closed (wireguard-go closes
// silently: framing is lost).
import { EventEmitter } from 'node:events';
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { chmod, link, lstat, mkdtemp, rm, unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { Logger } from '../log.js';
import { UAPI_ERRNO, UapiError } from './errors.js';
import { LineSplitter, MAX_LINE_BYTES, OVERLONG } from './line-splitter.js';
import { SetRequestParser, type SetTransaction } from './set-request.js';
import { WatchStream, type WatchEvent } from './watch.js';
import { DEFAULT_SOCKET_DIR, socketPath } from './socket-path.js';

export interface UapiHandler {
  /**
   * The get reply without its closing errno line: each string is one line, or several joined by
   * '\n' (a million allowed_ip lines go faster in blocks), never with an empty line or a final '\n'.
   */
  get(): Iterable<string> | AsyncIterable<string>;
  /** Applies a whole transaction or nothing; throw a UapiError to choose the errno. */
  set(tx: SetTransaction): Promise<void>;
  /** Subscribes to change events (`watch=1`, see watch.ts); returns the unsubscribe function. Absent: watch=1 is EINVAL. */
  watch?(listener: (event: WatchEvent) => void): () => void;
}

export interface UapiServerOptions {
  /** Default /var/run/wireguard. */
  socketDir?: string;
  /** An inherited listening socket (WG_UAPI_FD) already bound at the socket path. */
  fd?: number;
  /** Told (once) when the socket file cannot be watched and is polled instead. */
  log?: Logger;
}

export interface UapiServerEvents {
  /** The socket file was deleted or replaced: the daemon should shut down. */
  socketRemoved: [];
  /** A request failed (bad request or handler error); for logging. */
  requestFailed: [error: UapiError];
  /** The listening socket failed after start. */
  error: [error: Error];
}

const WRITE_CHUNK = 64 * 1024;
const POLL_MS = 1000;
// Connections the kernel queues before the event loop accepts them (Node's default is 511): a
// burst of clients (a monitoring fleet, a script in a loop) gets EAGAIN beyond it. The kernel
// caps it at net.core.somaxconn.
const LISTEN_BACKLOG = 4096;

export class UapiServer extends EventEmitter<UapiServerEvents> {
  readonly path: string;
  private readonly connections = new Set<Socket>();
  private queue: Promise<unknown> = Promise.resolve();
  private identity: { dev: number; ino: number } | undefined;
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private removalReported = false;
  private closed = false;

  private constructor(
    readonly iface: string,
    private readonly handler: UapiHandler,
    private readonly server: Server,
    socketDir: string,
  ) {
    super();
    this.path = socketPath(iface, socketDir);
  }

  /** Binds (or adopts options.fd) and starts serving. Throws when a live daemon owns the socket. */
  static async listen(iface: string, handler: UapiHandler, options: UapiServerOptions = {}): Promise<UapiServer> {
    const uapi = new UapiServer(iface, handler, createServer(), options.socketDir ?? DEFAULT_SOCKET_DIR);
    uapi.server.on('connection', (socket) => uapi.serve(socket));
    if (options.fd !== undefined) await uapi.listenOn({ fd: options.fd });
    else await uapi.bind();
    const stats = await lstat(uapi.path);
    if (!stats.isSocket()) throw new Error(`${uapi.path} is not a socket`);
    uapi.identity = { dev: stats.dev, ino: stats.ino };
    uapi.server.on('error', (error) => uapi.emit('error', error));
    uapi.watchSocketFile(options.log);
    return uapi;
  }

  private async bind(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o755 });
    try {
      await this.listenOn({ path: this.path });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
    const stats = await lstat(this.path);
    if (!stats.isSocket()) throw new Error(`interface ${this.iface}: ${this.path} exists and is not a socket`);
    if (await answers(this.path)) throw new Error(`interface ${this.iface}: a daemon is already listening on ${this.path}`);
    await unlink(this.path);
    await this.listenOn({ path: this.path });
  }

  private async listenOn(target: { path: string } | { fd: number }): Promise<void> {
    if ('path' in target && !isMainThread) return this.listenPrivately(target.path);
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      // The socket is created inside listen(): restricting the umask around it (the listening
      // event comes later) makes the socket 0600 with no window where it is more open
      // (wireguard-go's umask 077 leaves 0700; the execute bit means nothing on a socket).
      const umask = process.umask(0o177);
      try {
        this.server.listen({ ...target, backlog: LISTEN_BACKLOG }, () => {
          this.server.off('error', onError);
          resolve();
        });
      } finally {
        process.umask(umask);
      }
    });
  }

  /**
   * A worker thread (Device.create's engine) may not change the umask: the socket is bound in a
   * fresh directory only we can enter, made 0600, then linked into place (link never replaces an
   * existing socket: EEXIST is reported as EADDRINUSE, as listen() would).
   */
  private async listenPrivately(path: string): Promise<void> {
    const dir = await mkdtemp(join(dirname(path), '.bind-'));
    const temporary = join(dir, 'uapi.sock');
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen({ path: temporary, backlog: LISTEN_BACKLOG }, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
      await chmod(temporary, 0o600);
      try {
        await link(temporary, path);
      } catch (error) {
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw Object.assign(new Error(`listen EADDRINUSE: ${path}`), { code: 'EADDRINUSE' });
        throw error;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** The listening socket's descriptor, to hand to a re-executed daemon as WG_UAPI_FD. */
  get fd(): number {
    const handle = (this.server as unknown as { _handle?: { fd?: number } })._handle;
    if (handle?.fd === undefined || handle.fd < 0) throw new Error('the UAPI server has no descriptor');
    return handle.fd;
  }

  /** Stops serving, ends open connections and removes the socket file if it is still ours. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatching();
    const ours = await this.socketIsOurs();
    for (const socket of this.connections) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    // libuv unlinks a socket it bound itself; an adopted descriptor's file is unlinked here.
    if (ours) await unlink(this.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  private async socketIsOurs(): Promise<boolean> {
    try {
      const stats = await lstat(this.path);
      return stats.dev === this.identity?.dev && stats.ino === this.identity.ino;
    } catch {
      return false;
    }
  }

  /**
   * inotify on the directory notices at once and costs nothing while idle. Only where it cannot
   * be set up (no inotify, limits reached) or fails later is the file checked every POLL_MS.
   */
  private watchSocketFile(log: Logger | undefined): void {
    const dir = dirname(this.path);
    const check = () => {
      void this.socketIsOurs().then((ours) => {
        if (ours || this.closed || this.removalReported) return;
        this.removalReported = true;
        this.stopWatching();
        this.emit('socketRemoved');
      });
    };
    const fallBack = (error: Error) => {
      this.stopWatching();
      if (this.closed || this.removalReported) return;
      log?.error(`UAPI: cannot watch ${dir} for the removal of ${this.path} (${error.message}); checking it every ${POLL_MS} ms instead`);
      this.poller = setInterval(check, POLL_MS).unref();
      check();
    };
    try {
      this.watcher = watch(dir, { persistent: false }, check);
      this.watcher.on('error', fallBack);
    } catch (error) {
      fallBack(error as Error);
    }
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = undefined;
    clearInterval(this.poller);
    this.poller = undefined;
  }

  /** Runs `task` after every earlier request of every connection (wireguard-go's ipcMutex). */
  private serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private serve(socket: Socket): void {
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    void new Connection(socket, this.handler, (task) => this.serialized(task), (error) => this.emit('requestFailed', error))
      .run()
      .catch(() => socket.destroy());
  }
}

/** Whether a live daemon serves this interface's UAPI socket (checked before creating its TUN). */
export function uapiSocketInUse(iface: string, socketDir = DEFAULT_SOCKET_DIR): Promise<boolean> {
  return answers(socketPath(iface, socketDir));
}

/** Whether something accepts connections on the unix socket at path. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

const HANG_UP_LINGER_MS = 1000;

type Request =
  | { kind: 'idle' }
  | { kind: 'get' | 'watch'; error?: UapiError }
  | { kind: 'set'; parser: SetRequestParser };

/** One client connection: reads requests, answers each in turn. */
class Connection {
  private request: Request = { kind: 'idle' };
  private readonly lines = new LineSplitter();

  constructor(
    private readonly socket: Socket,
    private readonly handler: UapiHandler,
    private readonly serialized: <T>(task: () => Promise<T>) => Promise<T>,
    private readonly reportFailure: (error: UapiError) => void,
  ) {}

  /** A set request's allowed_ip lines go into its parser without becoming strings. */
  private readonly consumeBytes = (bytes: Buffer, start: number, end: number): boolean =>
    this.request.kind === 'set' && this.request.parser.lineBytes(bytes, start, end);

  async run(): Promise<void> {
    // Iterating the socket pauses reading while a request is being answered (backpressure).
    for await (const chunk of this.socket as AsyncIterable<Buffer>) {
      for (const line of this.lines.push(chunk, this.consumeBytes)) {
        // Most lines (a million allowed_ip lines of a set) are handled synchronously: awaiting
        // only real work keeps a microtask per line off the bulk path.
        const handled = this.onLine(line);
        if (!(typeof handled === 'boolean' ? handled : await handled)) {
          await this.hangUp();
          return;
        }
      }
    }
  }

  /**
   * Ends our side and stops reading, but leaves the client a moment to read the answer before
   * the socket is destroyed: closing with unread input would reset the connection, and a
   * client still writing would lose the answer with it.
   */
  private async hangUp(): Promise<void> {
    this.socket.end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, HANG_UP_LINGER_MS).unref();
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** False (or a promise of false) when the connection must close. */
  private onLine(line: string | typeof OVERLONG): boolean | Promise<boolean> {
    const request = this.request;
    switch (request.kind) {
      case 'idle':
        if (line === 'get=1') this.request = { kind: 'get' };
        else if (line === 'watch=1') this.request = { kind: 'watch' };
        else if (line === 'set=1') this.request = { kind: 'set', parser: new SetRequestParser() };
        else {
          const shown = line === OVERLONG ? 'an overlong line' : JSON.stringify(line);
          return this.fail(new UapiError(UAPI_ERRNO.EINVAL, `unknown operation ${shown}`, 1)).then(() => false);
        }
        return true;
      case 'get':
      case 'watch':
        if (line !== '') {
          request.error ??= new UapiError(UAPI_ERRNO.EINVAL, `${request.kind}=1 must be followed by a blank line`, 2);
          return true;
        }
        this.request = { kind: 'idle' };
        if (request.error) return this.fail(request.error).then(() => true);
        if (request.kind === 'get') return this.answerGet().then(() => true);
        return this.startWatch();
      case 'set':
        if (line === OVERLONG) {
          // Answered at once and hung up: reading on to the line's end could mean taking in
          // any amount of data from a client that never sends one.
          this.request = { kind: 'idle' };
          return this.fail(new UapiError(UAPI_ERRNO.EPROTO, `line longer than ${MAX_LINE_BYTES} bytes`)).then(() => false);
        }
        if (line !== '') request.parser.line(line);
        else {
          this.request = { kind: 'idle' };
          return this.answerSet(request.parser).then(() => true);
        }
        return true;
    }
  }

  private async answerGet(): Promise<void> {
    await this.serialized(async () => {
      let buffer = '';
      try {
        for await (const line of this.handler.get()) {
          if (line === '' || line.endsWith('\n') || line.includes('\n\n')) {
            throw new UapiError(UAPI_ERRNO.EIO, `handler produced an empty line: ${JSON.stringify(line.slice(0, 80))}`);
          }
          buffer += `${line}\n`;
          if (buffer.length >= WRITE_CHUNK) {
            await this.write(buffer);
            buffer = '';
          }
        }
        await this.write(`${buffer}errno=0\n\n`);
      } catch (error) {
        await this.write(buffer);
        await this.fail(asUapiError(error));
      }
    });
  }

  /** From here on the connection only carries events; false ends reading requests from it. */
  private async startWatch(): Promise<boolean> {
    if (!this.handler.watch) {
      await this.fail(new UapiError(UAPI_ERRNO.EINVAL, 'this daemon has no change notifications', 1));
      return true;
    }
    const stream = new WatchStream(this.socket);
    // Subscribed inside the queue: no set can slip between the errno=0 and the first event.
    await this.serialized(async () => {
      const unsubscribe = this.handler.watch!((event) => stream.send(event));
      this.socket.once('close', unsubscribe);
      await this.write('errno=0\n\n');
    });
    for await (const chunk of this.socket as AsyncIterable<Buffer>) void chunk; // input is ignored until the watcher hangs up
    return false;
  }

  private async answerSet(parser: SetRequestParser): Promise<void> {
    let tx: SetTransaction;
    try {
      tx = parser.finish();
    } catch (error) {
      await this.fail(asUapiError(error));
      return;
    }
    await this.serialized(async () => {
      try {
        await this.handler.set(tx);
      } catch (error) {
        await this.fail(asUapiError(error));
        return;
      }
      await this.write('errno=0\n\n');
    });
  }

  private async fail(error: UapiError): Promise<void> {
    this.reportFailure(error);
    await this.write(`errno=${error.errno}\n\n`);
  }

  private write(text: string): Promise<void> {
    if (text === '' || this.socket.destroyed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.write(text, (error) => (error ? reject(error) : resolve()));
    });
  }
}

function asUapiError(error: unknown): UapiError {
  if (error instanceof UapiError) return error;
  return new UapiError(UAPI_ERRNO.EIO, `handler failed: ${error instanceof Error ? error.message : String(error)}`);
}
