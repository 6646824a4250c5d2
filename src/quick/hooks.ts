// PreUp, PostUp, PreDown and PostDown: each snippet, with every %i replaced by the interface
// name, run by bash(1) as wg-quick's execute_hooks does; a failing snippet stops the command.
import { runCommand } from './command.js';
import { QuickError } from './errors.js';

export type HookPhase = 'PreUp' | 'PostUp' | 'PreDown' | 'PostDown';

export function expandHook(snippet: string, iface: string): string {
  return snippet.replaceAll('%i', iface);
}

export async function runHooks(phase: HookPhase, snippets: readonly string[], iface: string, env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<void> {
  for (const snippet of snippets) {
    const command = expandHook(snippet, iface);
    log(`[#] ${command}`);
    const status = await runCommand('bash', ['-c', command], { env });
    if (status !== 0) throw new QuickError(`${phase} failed with exit status ${status}: ${command}`);
  }
}
