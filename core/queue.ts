// Runs jobs one after another per key, keys side by side: the in-process stand-in for the
// table stream's per-partition ordering (the local stack's worker).

export class KeyedSerialQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private pending = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly onError: (error: unknown) => void = () => undefined) {}

  push(key: string, job: () => Promise<unknown>): void {
    this.pending++;
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous
      .then(job)
      .then(
        () => undefined,
        (error: unknown) => this.onError(error),
      )
      .finally(() => {
        if (this.tails.get(key) === next) this.tails.delete(key);
        this.pending--;
        if (this.pending === 0) for (const resolve of this.waiters.splice(0)) resolve();
      });
    this.tails.set(key, next);
  }

  /** Resolves when every job pushed so far (and any they pushed) has finished. */
  idle(): Promise<void> {
    return this.pending === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
