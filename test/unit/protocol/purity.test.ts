// The protocol core is pure: its modules import values only from each other (types may come
// from elsewhere; they vanish in compilation) and use no Node global, so crypto, randomness
// and clocks can only come in through the interfaces the caller hands over.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The sources, not dist/, which may hold modules whose sources have moved away.
const coreDir = new URL('../../../../src/protocol/', import.meta.url);

/** The module specifiers of the value (not type-only) imports and re-exports in TypeScript source. */
function valueImports(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/^(import|export)\s+(type\s+)?([^;]*?)\s*from\s+'([^']+)'/gms)) {
    if (m[2]) continue;
    const braces = /^\{([^}]*)\}$/.exec(m[3].trim());
    const names = braces ? braces[1].split(',').map((s) => s.trim()).filter(Boolean) : [m[3]];
    if (names.every((n) => n.startsWith('type '))) continue;
    out.push(m[4]);
  }
  for (const m of source.matchAll(/^import\s+'([^']+)'/gm)) out.push(m[1]);
  return out;
}

describe('protocol core purity', () => {
  const modules = readdirSync(fileURLToPath(coreDir)).filter((name) => name.endsWith('.ts'));

  it('finds the core and reads its imports', () => {
    assert.ok(modules.includes('core.ts') && modules.includes('timers.ts'), `modules: ${modules.join(', ')}`);
    assert.deepEqual(valueImports("import { a, type B } from './x.js';\nimport type { C } from 'node:c';\nexport { d } from '../d.js';"), ['./x.js', '../d.js']);
  });

  for (const name of modules) {
    it(`${name} imports values only from the core and uses no Node global`, () => {
      const source = readFileSync(new URL(name, coreDir), 'utf8');
      for (const specifier of valueImports(source)) assert.match(specifier, /^\.\/[\w-]+\.js$/, `${name} imports ${specifier}`);
      const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      assert.doesNotMatch(code, /\b(?:Buffer|process|require|NodeJS)\b|\bimport\(/, `${name} uses a Node global`);
    });
  }
});
