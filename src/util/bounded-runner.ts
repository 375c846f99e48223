/**
 * kube-proxy's BoundedFrequencyRunner idea: `request()` only marks work as due; the function
 * runs at most once per `minIntervalMs`, never concurrently with itself, and a failed run is
 * retried after `retryMs` (so a full resync follows a failed sync).
 */
export class BoundedRunner {
  private due = false;
  private running = false;
  private lastRun = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private started = 0;
  private waiters: Array<{ after: number; resolve: () => void }> = [];

  constructor(
    private readonly fn: () => Promise<void>,
    private readonly minIntervalMs: number,
    private readonly retryMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  request(): void {
    if (this.stopped) return;
    this.due = true;
    this.schedule();
  }

  /**
   * Resolves when a run that started after this call has succeeded, or
   * at once when nothing is due. Under a steady stream of requests this still resolves: it
   * waits for one fresh run, not for the stream to stop.
   */
  settled(): Promise<void> {
    if (!this.due && !this.running) return Promise.resolve();
    // Running with nothing due: the current run took every change seen so far, so it is the
    // one to wait for (no later run may ever start). Otherwise the next run.
    const after = this.due ? this.started + 1 : this.started;
    return new Promise((resolve) => this.waiters.push({ after, resolve }));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.running || this.timer || this.stopped) return;
    const wait = Math.max(0, this.lastRun + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runOnce();
    }, wait);
  }

  private async runOnce(): Promise<void> {
    if (!this.due || this.stopped) return;
    this.due = false;
    this.running = true;
    const run = ++this.started;
    this.lastRun = Date.now();
    let ok = true;
    try {
      await this.fn();
    } catch (err) {
      ok = false;
      this.onError(err);
      this.due = true;
      this.lastRun = Date.now() + this.retryMs - this.minIntervalMs;
    } finally {
      this.running = false;
    }
    // A failed run is retried; its waiters wait for the retry to succeed.
    this.waiters = this.waiters.filter((w) => {
      if (!ok || w.after > run) return true;
      w.resolve();
      return false;
    });
    if (this.due) this.schedule();
  }
}
