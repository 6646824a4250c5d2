// Loads the compiled addon. The only module that knows where the binary lives; it names every
// path it tried when none loads, so a broken install says what to rebuild.
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { NativeAddon } from './native.js';

const require = createRequire(import.meta.url);

function packageRoot(): string {
  // dist/src/native/loader.js -> package root, three levels up from this file's folder.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(resolve(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('viaguard: cannot find the package root');
    dir = parent;
  }
  return dir;
}

let cached: NativeAddon | undefined;

export function loadNative(): NativeAddon {
  if (cached) return cached;
  const root = packageRoot();
  const candidates = [
    process.env.VIAGUARD_ADDON,
    resolve(root, 'build/Release/viaguard.node'),
    resolve(root, 'build/Debug/viaguard.node'),
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  const failures: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) {
      failures.push(`${path}: not found`);
      continue;
    }
    try {
      cached = require(path) as NativeAddon;
      return cached;
    } catch (err) {
      failures.push(`${path}: ${(err as Error).message}`);
    }
  }
  throw new Error(
    `viaguard: cannot load the native addon (run "npm run build"). Tried:\n  ${failures.join('\n  ')}`,
  );
}
