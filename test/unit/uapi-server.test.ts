// The UAPI server and client over real unix sockets in a private directory (no root needed):
// framing, errors, socket file life cycle (the inotify fallback needs user namespaces),
// descriptor inheritance.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync, unlinkSync, writeFileSync, existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { keyToHex } from '../../src/config/keys.js';
import { formatPrefix } from '../../src/net/ip.js';
import { UapiClient } from '../../src/uapi/client.js';
import { UAPI_ERRNO, UapiError } from '../../src/uapi/errors.js';
import { UapiServer, type UapiHandler } from '../../src/uapi/server.js';
import type { SetTransaction } from '../../src/uapi/set-request.js';
import { isAlive, voluntaryContextSwitches } from '../../src/testing/proc-stat.js';
import { UapiModel } from '../support/uapi-model.js';

const K1 = 'e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a';
const K2 = '58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376';
const SERVER_MODULE = pathToFileURL(resolve('dist/src/uapi/server.js')).href;

/** Sends raw bytes on one connection and collects replies until `count` blank-line-terminated answers. */
async function converse(socket: Socket, text: string, count: number): Promise<string[]> {
  socket.write(text);
  let received = '';
  const replies: string[] = [];
  while (replies.length < count) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    received += chunk.toString();
    let end;
    while ((end = received.indexOf('\n\n')) >= 0) {
      replies.push(received.slice(0, end + 2));
      received = received.slice(end + 2);
    }
  }
  return replies;
}

async function open(path: string): Promise<Socket> {
  const socket = connect(path);
  await once(socket, 'connect');
  return socket;
}

/** Runs a node script (by default as `node file`); resolves with its first stdout line. */
async function runScript(
  dir: string,
  name: string,
  source: string,
  command: (file: string) => [string, ...string[]] = (file) => [process.execPath, file],
): Promise<{ line: string; exited: Promise<number | null>; pid: number }> {
  const file = join(dir, name);
  writeFileSync(file, source);
  const [program, ...args] = command(file);
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  let out = '';
  while (!out.includes('\n')) {
    const [chunk] = (await Promise.race([once(child.stdout, 'data'), exited.then(() => [Buffer.from(`exited\n`)])])) as [Buffer];
    out += chunk.toString();
  }
  return { line: out.split('\n')[0], exited, pid: child.pid! };
}

describe('uapi/server and client', () => {
  let dir: string;
  let model: UapiModel;
  let server: UapiServer | undefined;
  let iface: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cfg-uapi-'));
    model = new UapiModel();
    iface = 'test0';
    server = await UapiServer.listen(iface, model, { socketDir: join(dir, 'wireguard') });
  });

  afterEach(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the directory 0755 and the socket 0600', () => {
    assert.equal(statSync(join(dir, 'wireguard')).mode & 0o777, 0o755);
    const stats = statSync(server!.path);
    assert.ok(stats.isSocket());
    assert.equal(stats.mode & 0o777, 0o600);
    assert.equal(server!.path, join(dir, 'wireguard', 'test0.sock'));
  });

  it('sets and gets through the typed client', async () => {
    const client = new UapiClient(iface, { socketDir: join(dir, 'wireguard') });
    const errno = await client.set([`private_key=${K1}`, 'listen_port=51820', `public_key=${K2}`, 'endpoint=192.0.2.1:7', 'allowed_ip=10.0.0.0/8', 'allowed_ip=fd00::/64']);
    assert.equal(errno, 0);
    const device = await client.get();
    assert.equal(keyToHex(device.privateKey!), K1);
    assert.equal(device.listenPort, 51820);
    assert.equal(device.peers.length, 1);
    assert.equal(keyToHex(device.peers[0].publicKey), K2);
    assert.deepEqual([...device.peers[0].allowedIps].map(formatPrefix), ['10.0.0.0/8', 'fd00::/64']);
    assert.equal(device.peers[0].endpoint?.port, 7);
    assert.equal(await client.set(['listen_port=nope']), UAPI_ERRNO.EINVAL);
  });

  it('answers several requests on one connection, in order', async () => {
    const socket = await open(server!.path);
    const replies = await converse(socket, 'get=1\n\nset=1\nlisten_port=5\n\nget=1\n\n', 3);
    assert.deepEqual(replies, ['errno=0\n\n', 'errno=0\n\n', 'listen_port=5\nerrno=0\n\n']);
    socket.destroy();
  });

  it('answers a bad request errno=-22 and keeps the connection usable, with nothing applied', async () => {
    const failures: UapiError[] = [];
    server!.on('requestFailed', (error) => failures.push(error));
    const socket = await open(server!.path);
    const replies = await converse(socket, `set=1\nlisten_port=1\npublic_key=${K1}\nallowed_ip=10.0.0.0/33\nallowed_ip=10.0.0.0/8\n\nget=1\n\n`, 2);
    assert.deepEqual(replies, ['errno=-22\n\n', 'errno=0\n\n']);
    assert.equal(model.transactions, 0);
    assert.match(failures[0].message, /^line 4: allowed_ip/);
    assert.deepEqual(await converse(socket, 'set=1\nlisten_port\n\n', 1), ['errno=-71\n\n']);
    assert.deepEqual(await converse(socket, 'get=1\nextra\n\n', 1), ['errno=-22\n\n']);
    assert.deepEqual(await converse(socket, 'get=1\n\n', 1), ['errno=0\n\n']);
    socket.destroy();
  });

  it('answers an unknown operation errno=-22 and closes the connection', async () => {
    const socket = await open(server!.path);
    const closed = once(socket, 'end');
    assert.deepEqual(await converse(socket, 'GET / HTTP/1.0\n\n', 1), ['errno=-22\n\n']);
    await closed;
    socket.destroy();
  });

  it('reports the handler errno and leaves the device untouched', async () => {
    model.busyPorts.add(4000);
    const client = new UapiClient(iface, { socketDir: join(dir, 'wireguard') });
    assert.equal(await client.set([`public_key=${K1}`]), 0);
    assert.equal(await client.set(['listen_port=4000', 'replace_peers=true', `public_key=${K2}`]), UAPI_ERRNO.EADDRINUSE);
    const device = await client.get();
    assert.deepEqual(device.peers.map((p) => keyToHex(p.publicKey)), [K1]);
  });

  it('answers a failing get with its errno, and a throwing handler with EIO', async () => {
    const failing: UapiHandler = {
      get: () => {
        throw new UapiError(UAPI_ERRNO.EPROTO, 'broken');
      },
      set: async () => {
        throw new Error('boom');
      },
    };
    await server!.close();
    server = await UapiServer.listen(iface, failing, { socketDir: join(dir, 'wireguard') });
    const client = new UapiClient(iface, { socketDir: join(dir, 'wireguard') });
    await assert.rejects(client.get(), (error: UapiError) => error.errno === UAPI_ERRNO.EPROTO);
    assert.equal(await client.set(['listen_port=1']), UAPI_ERRNO.EIO);
  });

  it('runs set requests of different connections one at a time', async () => {
    let running = 0;
    let most = 0;
    const applied: number[] = [];
    const slow: UapiHandler = {
      get: () => [],
      set: async (tx: SetTransaction) => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 20));
        applied.push(tx.listenPort!);
        running--;
      },
    };
    await server!.close();
    server = await UapiServer.listen(iface, slow, { socketDir: join(dir, 'wireguard') });
    const client = new UapiClient(iface, { socketDir: join(dir, 'wireguard') });
    const results = await Promise.all([1, 2, 3, 4, 5].map((port) => client.set([`listen_port=${port}`])));
    assert.deepEqual(results, [0, 0, 0, 0, 0]);
    assert.equal(most, 1);
    assert.equal(applied.length, 5);
  });

  it('refuses to start when a live daemon answers on the socket', async () => {
    await assert.rejects(UapiServer.listen(iface, model, { socketDir: join(dir, 'wireguard') }), /interface test0: a daemon is already listening on .*test0\.sock/);
  });

  it('replaces a dead socket, refuses a non-socket file', async () => {
    const sock = join(dir, 'wireguard', 'dead0.sock');
    const { line, exited } = await runScript(dir, 'dead.mjs', `import { createServer } from 'node:net';\ncreateServer().listen(${JSON.stringify(sock)}, () => { console.log('up'); process.kill(process.pid, 'SIGKILL'); });\n`);
    assert.equal(line, 'up');
    await exited;
    assert.ok(statSync(sock).isSocket(), 'a killed daemon leaves its socket behind');
    const client = new UapiClient('dead0', { socketDir: join(dir, 'wireguard') });
    await assert.rejects(client.get(), /^Error: interface dead0: the daemon is gone \(.*dead0\.sock refuses connections\)$/);
    const revived = await UapiServer.listen('dead0', model, { socketDir: join(dir, 'wireguard') });
    assert.equal((await client.get()).peers.length, 0);
    await revived.close();
    writeFileSync(join(dir, 'wireguard', 'file0.sock'), 'not a socket');
    await assert.rejects(UapiServer.listen('file0', model, { socketDir: join(dir, 'wireguard') }), /file0\.sock exists and is not a socket/);
  });

  it('says clearly when there is no daemon', async () => {
    const client = new UapiClient('absent0', { socketDir: join(dir, 'wireguard') });
    await assert.rejects(client.get(), { message: `interface absent0: no daemon (no ${join(dir, 'wireguard', 'absent0.sock')})` });
    assert.throws(() => new UapiClient('../etc'), RangeError);
  });

  it('unlinks its socket on close, and signals when the file is deleted from under it', async () => {
    const path = server!.path;
    const removed = once(server!, 'socketRemoved');
    unlinkSync(path);
    await removed;
    await server!.close();
    server = await UapiServer.listen(iface, model, { socketDir: join(dir, 'wireguard') });
    await server.close();
    assert.equal(existsSync(path), false);
    server = undefined;
  });

  it('sleeps while the socket file can be watched; where inotify is unavailable, says why once and checks the file every second', async function () {
    this.timeout(20_000);
    const socketDir = join(dir, 'wireguard');
    // Exits 0 when its socket file is removed. V8's memory reducer (a few GCs on the main thread
    // after start-up) is off, so an idle main thread has nothing to wake up for.
    const serve = (name: string) => `import { UapiServer } from ${JSON.stringify(SERVER_MODULE)};
const logged = [];
const server = await UapiServer.listen(${JSON.stringify(name)}, { get: () => [], set: async () => {} }, { socketDir: ${JSON.stringify(socketDir)}, log: { verbose: () => {}, error: (m) => logged.push(m) } });
server.on('socketRemoved', () => process.exit(0));
console.log('ready ' + JSON.stringify(logged));
`;
    const node = (file: string): [string, ...string[]] => [process.execPath, '--no-memory-reducer', file];
    // A user namespace of its own, where no inotify watch may be added (the limit is per namespace).
    const withoutInotify = (file: string): [string, ...string[]] => [
      'unshare', '--user', '--map-root-user', 'sh', '-c', 'echo 0 > /proc/sys/user/max_inotify_watches && exec "$0" "$@"', ...node(file),
    ];
    const started: number[] = [];
    try {
      const watching = await runScript(dir, 'watching.mjs', serve('watch0'), node);
      started.push(watching.pid);
      const polling = await runScript(dir, 'polling.mjs', serve('poll0'), withoutInotify);
      started.push(polling.pid);
      assert.equal(watching.line, 'ready []');
      assert.match(polling.line, /^ready \[/);
      const messages = JSON.parse(polling.line.slice('ready '.length)) as string[];
      assert.equal(messages.length, 1, polling.line);
      assert.match(messages[0], /^UAPI: cannot watch .*wireguard for the removal of .*poll0\.sock \(ENOSPC: .*\); checking it every 1000 ms instead$/);

      const wakeUps = () => [watching.pid, polling.pid].map((pid) => voluntaryContextSwitches(`/proc/${pid}/status`));
      const before = wakeUps();
      await new Promise((r) => setTimeout(r, 3000));
      const [watchingWakeUps, pollingWakeUps] = wakeUps().map((count, i) => count - before[i]);
      assert.ok(watchingWakeUps <= 1, `the watching server's main thread woke ${watchingWakeUps} times in 3 s`);
      assert.ok(pollingWakeUps >= 2, `the polling server's main thread woke only ${pollingWakeUps} times in 3 s`);

      unlinkSync(join(socketDir, 'watch0.sock'));
      unlinkSync(join(socketDir, 'poll0.sock'));
      assert.deepEqual(await Promise.all([watching.exited, polling.exited]), [0, 0]);
    } finally {
      for (const pid of started) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('serves on an inherited descriptor, as a re-executed daemon does', async function () {
    this.timeout(15_000);
    const socketDir = join(dir, 'wireguard');
    const child = `import { UapiServer } from ${JSON.stringify(SERVER_MODULE)};
const server = await UapiServer.listen('inh0', { get: () => ['listen_port=9'], set: async () => {} }, { socketDir: ${JSON.stringify(socketDir)}, fd: Number(process.env.WG_UAPI_FD) });
process.on('SIGTERM', async () => { await server.close(); process.exit(0); });
console.log('ready ' + process.pid);
`;
    writeFileSync(join(dir, 'child.mjs'), child);
    const parent = `import { spawn } from 'node:child_process';
import { UapiServer } from ${JSON.stringify(SERVER_MODULE)};
const server = await UapiServer.listen('inh0', { get: () => [], set: async () => {} }, { socketDir: ${JSON.stringify(socketDir)} });
const child = spawn(process.execPath, [${JSON.stringify(join(dir, 'child.mjs'))}], { stdio: ['ignore', 'pipe', 'inherit', server.fd], env: { ...process.env, WG_UAPI_FD: '3' } });
// Once the child says it serves, leave without closing the server, as a daemonizing parent does.
child.stdout.once('data', (ready) => process.stdout.write(ready, () => process.exit(0)));
`;
    const { line, exited } = await runScript(dir, 'parent.mjs', parent);
    const match = /^ready (\d+)$/.exec(line);
    assert.ok(match, `child said ${JSON.stringify(line)}`);
    const childPid = Number(match[1]);
    try {
      assert.equal(await exited, 0);
      const device = await new UapiClient('inh0', { socketDir }).get();
      assert.equal(device.listenPort, 9);
      process.kill(childPid, 'SIGTERM');
      const path = join(socketDir, 'inh0.sock');
      for (let i = 0; i < 100 && existsSync(path); i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(existsSync(path), false, 'the child unlinks the adopted socket on close');
    } finally {
      try {
        process.kill(childPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
});
