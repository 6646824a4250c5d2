import { QuickError } from './errors.js';

/** wg-quick re-executes itself with sudo; viaguard asks the user to. */
export function requireRoot(command: string): void {
  if (process.getuid?.() !== 0) throw new QuickError(`${command} must be run as root`);
}
