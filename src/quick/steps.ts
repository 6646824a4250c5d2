// The changes `up` makes, one at a time: each is announced as the equivalent command
// ("[#] ip -4 route add ..."), as wg-quick prints its own, a failure names the step, and what
// was done can be undone in reverse order when a later step fails or the caller aborts (the
// running step finishes first: steps are not torn in half).
import { QuickError } from './errors.js';

export type Log = (line: string) => void;

export class Steps {
  private readonly undoStack: { description: string; action: () => Promise<unknown> }[] = [];

  constructor(
    private readonly log: Log,
    private readonly signal?: AbortSignal,
  ) {}

  /** Throws once the caller has aborted. */
  checkpoint(): void {
    if (this.signal?.aborted) throw new QuickError('interrupted');
  }

  async run<T>(description: string, action: () => Promise<T>): Promise<T> {
    this.checkpoint();
    this.log(`[#] ${description}`);
    try {
      return await action();
    } catch (error) {
      if (error instanceof QuickError) throw error;
      throw new QuickError(`${description}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Registers how to undo what was just done. */
  onUndo(description: string, action: () => Promise<unknown>): void {
    this.undoStack.push({ description, action });
  }

  /** Undoes everything registered, newest first; a failing undo is reported and skipped. */
  async rollBack(): Promise<void> {
    for (const { description, action } of this.undoStack.reverse()) {
      this.log(`[#] ${description}`);
      try {
        await action();
      } catch (error) {
        this.log(`Warning: ${description}: ${(error as Error).message}`);
      }
    }
    this.undoStack.length = 0;
  }
}
