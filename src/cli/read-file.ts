// Reading a file the user named (config, key file, /dev/stdin): failures become one clear line.
import { readFile } from 'node:fs/promises';
import { CliError } from './errors.js';

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a parent is not a directory',
};

export async function readUserFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new CliError(`${path}: ${REASONS[code] ?? (error as Error).message}`, { cause: error });
  }
}
