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
  private waiters: Array<() => void> = [];

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

  /** Resolves after the next completed run that started after this call. */
  settled(): Promise<void> {
    if (!this.due && !this.running) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
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
    this.lastRun = Date.now();
    try {
      await this.fn();
    } catch (err) {
      this.onError(err);
      this.due = true;
      this.lastRun = Date.now() + this.retryMs - this.minIntervalMs;
    } finally {
      this.running = false;
    }
    if (this.due) this.schedule();
    else for (const w of this.waiters.splice(0)) w();
  }
}
