/**
 * The skeleton every kernel-table component shares (service proxy, policy enforcer): events
 * mark work and call `runner.request()`; one bounded-frequency loop runs `sync()`; the first
 * sync and any sync after a failure are full (`needFull`), the others incremental. Subclasses
 * keep their caches and their sync; the lifecycle lives here once.
 *
 * "After a failure" means any failure, set here rather than left to each subclass: an
 * incremental sync takes its dirty marks first, so one that throws before the kernel accepted
 * its change (computing or rendering it, not only a refused transaction) would otherwise
 * retry with nothing dirty and lose that change until the next event for the same object.
 */

import { BoundedRunner } from "./bounded-runner.js";
import { errorMessage } from "./errors.js";

export interface SyncLoopOptions {
  log: (msg: string) => void;
  minSyncIntervalMs?: number;
  retryMs?: number;
}

export abstract class SyncLoop {
  /** The next sync rebuilds the whole table (at start, after a failure, on resync()). */
  protected needFull = true;
  protected unwatch?: () => void;
  protected readonly runner: BoundedRunner;

  constructor(what: string, opts: SyncLoopOptions) {
    this.runner = new BoundedRunner(
      () => this.runSync(),
      opts.minSyncIntervalMs ?? 50,
      opts.retryMs ?? 1000,
      (err) => opts.log(`${what} sync failed (a full resync follows): ${errorMessage(err)}`),
    );
  }

  protected abstract sync(): Promise<void>;

  /** One run of the loop: whatever made a sync fail, the retry rebuilds the whole table. */
  private async runSync(): Promise<void> {
    try {
      await this.sync();
    } catch (err) {
      this.needFull = true;
      throw err;
    }
  }

  /** Run the first (full) sync; resolves once it is programmed. */
  protected async firstSync(): Promise<void> {
    this.needFull = true;
    this.runner.request();
    await this.runner.settled();
  }

  stop(): void {
    this.unwatch?.();
    this.runner.stop();
  }

  /** Resolves when every change seen so far is programmed. */
  settled(): Promise<void> {
    return this.runner.settled();
  }

  /** Ask for a full resync (e.g. after someone else touched the table). */
  resync(): void {
    this.needFull = true;
    this.runner.request();
  }
}
