// Shared by the action's main and post steps: inputs, outputs and state the way the runner
// passes them (environment and files), and the privileged helper run as root (sudo on hosted
// runners). Plain JavaScript: an action's entry points run before anything is built.
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
const helper = `${root}/dist/scripts/action-tunnel.js`;

export function input(name, fallback) {
  const value = process.env[`INPUT_${name.toUpperCase().replace(/ /g, '_')}`];
  return value === undefined || value === '' ? fallback : value;
}

/** Appends name=value lines to the runner's GITHUB_OUTPUT or GITHUB_STATE file. */
export function record(file, values) {
  const path = process.env[file];
  if (!path) throw new Error(`${file} is not set: run this as a GitHub Action step`);
  for (const [name, value] of Object.entries(values)) appendFileSync(path, `${name}=${value}\n`);
}

/** Runs a command as root (directly when we are root), output passed through unless captured. */
export function asRoot(command, args, capture = false) {
  const [cmd, argv] = process.getuid() === 0 ? [command, args] : ['sudo', ['-n', command, ...args]];
  return execFileSync(cmd, argv, { cwd: root, encoding: 'utf8', stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'] });
}

/** Builds the package on first use (a workflow that did not run npm ci itself). */
export function ensureBuilt() {
  if (existsSync(helper)) return;
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
}

export function runHelper(args, capture = false) {
  return asRoot(process.execPath, [helper, ...args], capture);
}

export function fail(error) {
  console.log(`::error::viaguard tunnel: ${error.message.split('\n')[0]}`);
  process.exit(1);
}
