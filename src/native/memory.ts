// Returning a bulk update's memory to the system. A million-prefix set leaves tens of MB of
// parse buffers behind: garbage to V8 and free chunks to malloc, yet resident until something
// reclaims them. compactMemory() runs a full collection and trims the C heap, so the daemon's
// resident size follows its live state (the trie) instead of its largest request.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadNative } from './loader.js';

let collect: (() => void) | undefined;

function fullCollection(): () => void {
  if (!collect) {
    // The documented way to reach V8's gc() without starting node with --expose-gc.
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  return collect;
}

export function compactMemory(): void {
  fullCollection()();
  loadNative().trimMemory();
}

const SETTLE_MS = 250;
let pending: NodeJS.Timeout | undefined;

/**
 * compactMemory() once the current burst of work is over (the request that caused it answered
 * and dropped); calls within SETTLE_MS fold into one.
 */
export function scheduleCompaction(): void {
  if (pending) pending.refresh();
  else
    pending = setTimeout(() => {
      pending = undefined;
      compactMemory();
    }, SETTLE_MS).unref();
}
