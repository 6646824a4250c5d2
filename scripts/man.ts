// Writes the manual pages dist/man/viaguard.8 and dist/man/viaguardd.8 from src/cli/*-manual.ts
// (run by `npm run prepare`; package.json's "man" installs them).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { manPage } from '../src/cli/manual.js';
import { VIAGUARD_MANUAL } from '../src/cli/viaguard-manual.js';
import { VIAGUARDD_MANUAL } from '../src/cli/viaguardd-manual.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const dir = new URL('../man/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const manual of [VIAGUARD_MANUAL, VIAGUARDD_MANUAL]) writeFileSync(new URL(`${manual.name}.8`, dir), manPage(manual, version));
