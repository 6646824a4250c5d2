// The worker thread a Device.create interface runs on: the daemon (protocol core, timers, UAPI
// server, data plane's JavaScript side) on an event loop of its own, so an application that
// blocks its main thread (execFileSync, Atomics.wait, a long computation) stalls neither the
// tunnel nor `wg show`. Messages: worker -> parent {ready} | {error} | {stopped}; parent -> worker 'stop'.
import { parentPort, workerData } from 'node:worker_threads';
import { runDaemon } from '../daemon.js';
import { createLogger, parseLogLevel } from '../log.js';

export interface EngineWorkerData {
  ifname: string;
  logLevel: string;
}

export type EngineMessage = { kind: 'ready' } | { kind: 'error'; message: string } | { kind: 'stopped'; reason: string };

const { ifname, logLevel } = workerData as EngineWorkerData;
const post = (message: EngineMessage) => parentPort!.postMessage(message);

try {
  const daemon = await runDaemon({ ifname, log: createLogger(ifname, parseLogLevel(logLevel)), handleSignals: false });
  parentPort!.on('message', (message) => {
    if (message === 'stop') daemon.stop('closed by the API');
  });
  post({ kind: 'ready' });
  post({ kind: 'stopped', reason: await daemon.stopped });
} catch (error) {
  post({ kind: 'error', message: (error as Error).message });
}
parentPort!.close();
