/**
 * A work queue keyed by object (the client-go workqueue idea): adding a key that is already
 * queued does nothing, one key is never processed by two workers at once, a key added while
 * it is being processed runs once more afterwards, and failures are retried with
 * exponential backoff. Events only enqueue keys; the worker reads the latest state.
 */
export class KeyedQueue {
  private queued = new Set<string>();
  private active = new Set<string>();
  private again = new Set<string>();
  private order: string[] = [];
  private failures = new Map<string, number>();
  private running = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly worker: (key: string) => Promise<void>,
    private readonly concurrency = 4,
    private readonly onError: (key: string, err: unknown) => void = () => undefined,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.active.has(key)) {
      this.again.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.order.push(key);
    this.pump();
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.running === 0 && this.order.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    this.order = [];
    this.queued.clear();
  }

  private pump(): void {
    while (this.running < this.concurrency && this.order.length > 0) {
      const key = this.order.shift()!;
      this.queued.delete(key);
      this.active.add(key);
      this.running++;
      void this.process(key);
    }
    if (this.running === 0 && this.order.length === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async process(key: string): Promise<void> {
    try {
      await this.worker(key);
      this.failures.delete(key);
    } catch (err) {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      this.onError(key, err);
      if (!this.stopped) {
        const delay = Math.min(30_000, 200 * 2 ** Math.min(n - 1, 8));
        setTimeout(() => this.add(key), delay).unref();
      }
    } finally {
      this.active.delete(key);
      this.running--;
      if (this.again.delete(key)) this.add(key);
      this.pump();
    }
  }
}
