// Starts a Device.create interface's daemon on its own worker thread (engine-worker.ts) and
// stands for it on the caller's side: resolves once the TUN and the UAPI socket exist, rejects
// with the daemon's setup error.
import { Worker } from 'node:worker_threads';
import type { EngineMessage, EngineWorkerData } from './engine-worker.js';

export interface Engine {
  /** Resolves with the reason once the daemon has shut down and removed its socket. */
  stopped: Promise<string>;
  stop(): void;
}

export function startEngine(data: EngineWorkerData): Promise<Engine> {
  const worker = new Worker(new URL('./engine-worker.js', import.meta.url), { workerData: data });
  return new Promise((resolve, reject) => {
    let settled = false;
    let resolveStopped: (reason: string) => void;
    const stopped = new Promise<string>((r) => (resolveStopped = r));
    worker.on('message', (message: EngineMessage) => {
      if (message.kind === 'ready') {
        settled = true;
        resolve({ stopped, stop: () => worker.postMessage('stop') });
      } else if (message.kind === 'error') {
        settled = true;
        reject(new Error(message.message));
      } else resolveStopped(message.reason);
    });
    worker.on('error', (error) => {
      if (!settled) reject(error);
      resolveStopped(`the engine failed: ${error.message}`);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the engine thread exited (${code}) during setup`));
      resolveStopped(`the engine thread exited (${code})`);
    });
  });
}
