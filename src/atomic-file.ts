// Replacing a file so that a reader sees the old content or the new, never a part: the text goes
// to PATH.tmp (a stale one from a crash is removed first), is flushed to disk, then renamed over
// PATH. On failure the temporary file is removed and PATH is untouched.
import { open, rename, unlink } from 'node:fs/promises';

export async function writeFileAtomically(path: string, text: string, mode: number): Promise<void> {
  const temporary = `${path}.tmp`;
  try {
    await unlink(temporary).catch(() => undefined);
    const handle = await open(temporary, 'wx', mode);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}
