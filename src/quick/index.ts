// wg-quick for viaguard: `up` and `down` as a library, and their command-line glue.
export { up, type UpResult } from './up.js';
export { down } from './down.js';
export { save } from './save.js';
export { runDown, runSave, runUp } from './cli.js';
export type { QuickOptions } from './options.js';
export { QuickError } from './errors.js';
export { DEFAULT_CONFIG_DIR, locateConfig } from './config-path.js';
export { PEER_SELECTION_ENV, USERSPACE_IMPLEMENTATION_ENV } from './daemon.js';
