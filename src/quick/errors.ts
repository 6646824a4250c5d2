// The one error type of `viaguard up`/`down` for problems the user can act on: the message is
// the whole story, printed as one line (config mistakes stay ConfigErrors naming file:line).
export class QuickError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QuickError';
  }
}
