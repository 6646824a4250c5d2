// One timer for the earliest of a set of deadlines (monotonic ms), re-armed as they change: the
// engine's way of running the protocol core's timers when they are due instead of polling.
export interface TimerHost {
  now(): number;
  setTimeout(fire: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const nodeTimers = (now: () => number): TimerHost => ({
  now,
  setTimeout: (fire, delayMs) => setTimeout(fire, delayMs).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
});

export class DeadlineTimer {
  private handle: unknown;
  /** When the armed timer fires; Infinity when none is armed. */
  private at = Infinity;

  constructor(
    private readonly host: TimerHost,
    private readonly fire: () => void,
  ) {}

  /** When the timer will fire, if armed. */
  get armedFor(): number | undefined {
    return this.at === Infinity ? undefined : this.at;
  }

  /**
   * Fires at `deadline` (undefined: never), or earlier when an earlier firing is already armed,
   * since the owner re-arms after every firing.
   */
  arm(deadline: number | undefined): void {
    if (deadline === undefined) {
      this.cancel();
      return;
    }
    if (this.handle !== undefined && this.at <= deadline) return;
    this.cancel();
    const now = this.host.now();
    this.at = deadline;
    // setTimeout counts whole milliseconds and may run a fraction early: never less than 1 ms.
    this.handle = this.host.setTimeout(() => {
      this.handle = undefined;
      this.at = Infinity;
      this.fire();
    }, Math.max(1, Math.ceil(deadline - now)));
  }

  cancel(): void {
    if (this.handle !== undefined) this.host.clearTimeout(this.handle);
    this.handle = undefined;
    this.at = Infinity;
  }
}
