// A `viaguard watch` started as a child subscribes some time later; a change made before that is
// never reported. Instead of sleeping, poke the daemon with a throwaway peer (a fresh key each
// try) until the watcher prints its event: from then on every change is seen.
import { wgKeyPair } from '../../src/testing/tunnel-pair.js';

export async function untilWatching(output: () => string, addPeer: (publicKey: string) => Promise<unknown>, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const probe = wgKeyPair().publicKey;
    await addPeer(probe);
    const tryUntil = Math.min(deadline, Date.now() + 1000);
    while (Date.now() < tryUntil) {
      if (output().includes(`"public_key":"${probe}"`)) return probe;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`the watcher printed no event within ${timeoutMs} ms: ${JSON.stringify(output())}`);
}
