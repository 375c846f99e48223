/**
 * The skeleton every kernel-table component shares (service proxy, policy enforcer): events
 * mark work and call `runner.request()`; one bounded-frequency loop runs `sync()`; the first
 * sync and any sync after a failure are full (`needFull`), the others incremental. Subclasses
 * keep their caches and their sync; the lifecycle lives here once.
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
      () => this.sync(),
      opts.minSyncIntervalMs ?? 50,
      opts.retryMs ?? 1000,
      (err) => opts.log(`${what} sync failed (a full resync follows): ${errorMessage(err)}`),
    );
  }

  protected abstract sync(): Promise<void>;

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
