// A throwaway tunnel for a user's own tests on a privileged CI runner: two network namespaces
// joined by a veth pair, a WireGuard daemon in each (viaguardd by default), addresses and peers
// configured, torn down however the test ends — normally, by an exception, or by the process
// being interrupted or exiting early.
import { execFileSync } from 'node:child_process';
import { createTunnelPair, viaguardd, type Implementation, type TunnelPair, type TunnelPairOptions } from './tunnel-pair.js';

export interface ThrowawayTunnelOptions extends TunnelPairOptions {
  /** The daemons at each end; default viaguardd at both. */
  left?: Implementation;
  right?: Implementation;
}

const live = new Set<TunnelPair>();

/** Last-resort cleanup when the process ends without destroying its tunnels: synchronous, so it also runs on 'exit'. */
function destroyLiveSync(): void {
  for (const pair of live) {
    for (const ns of [pair.left.ns.name, pair.right.ns.name]) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
        for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
        execFileSync('ip', ['netns', 'del', ns]);
      } catch {
        // already gone
      }
    }
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  destroyLiveSync();
  process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
}

function track(pair: TunnelPair): void {
  if (live.size === 0) {
    process.on('exit', destroyLiveSync);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  live.add(pair);
}

function untrack(pair: TunnelPair): void {
  live.delete(pair);
  if (live.size === 0) {
    process.off('exit', destroyLiveSync);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Brings a tunnel up; call destroy() when done (or use withTunnel, which always does). */
export async function createThrowawayTunnel(options: ThrowawayTunnelOptions = {}): Promise<TunnelPair> {
  const pair = await createTunnelPair(options.left ?? viaguardd, options.right ?? viaguardd, options);
  track(pair);
  const destroy = pair.destroy;
  return {
    ...pair,
    destroy: async () => {
      untrack(pair);
      await destroy();
    },
  };
}

/** Runs fn with a fresh tunnel and tears it down afterwards, whatever fn does. */
export async function withTunnel<T>(fn: (tunnel: TunnelPair) => Promise<T>, options: ThrowawayTunnelOptions = {}): Promise<T> {
  const tunnel = await createThrowawayTunnel(options);
  try {
    return await fn(tunnel);
  } finally {
    await tunnel.destroy();
  }
}
