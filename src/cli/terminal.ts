// Colours as `wg` prints them (wireguard-tools src/terminal.h, terminal.c): ANSI escapes written
// inline, then stripped unless stdout is a terminal; WG_COLOR_MODE=always|never overrides that.

const ESC = '\x1b';
export const RESET = `${ESC}[0m`;
export const BOLD = `${ESC}[1m`;
export const RED = `${ESC}[31m`;
export const GREEN = `${ESC}[32m`;
export const YELLOW = `${ESC}[33m`;
export const CYAN = `${ESC}[36m`;

export function colorWanted(env: NodeJS.ProcessEnv, stdoutIsTty: boolean): boolean {
  if (env.WG_COLOR_MODE === 'always') return true;
  if (env.WG_COLOR_MODE === 'never') return false;
  return stdoutIsTty;
}

/** terminal.c's filter: from ESC '[' up to and including the next letter. */
const ANSI_SEQUENCE = new RegExp(`${ESC}\\[[^A-Za-z]*[A-Za-z]?`, 'g');

export function stripAnsi(text: string): string {
  return text.replace(ANSI_SEQUENCE, '');
}
