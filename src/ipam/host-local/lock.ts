/**
 * Exclusive lock on a network's IPAM directory, shared with other processes: flock(2) on
 * `<dir>/lock`, the same file and lock the reference host-local plugin takes, so both can
 * manage one directory. flock is non-blocking in the addon (a blocking call would stall
 * Node's event loop), so we poll with a jittered exponential backoff up to a deadline. The
 * kernel drops the lock when its holder dies, even by SIGKILL, so there are no stale locks.
 * Callers inside one process (a node agent serving many CNI requests) first queue on an
 * in-process FIFO per lock file, so only one of them polls the flock at a time: without it,
 * dozens of same-process waiters poll against each other and the busiest can starve.
 */
import { open } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { native } from "../../kernel/native.js";
import { UserError } from "../../util/errors.js";

export const LOCK_FILE = "lock";
export const DEFAULT_LOCK_TIMEOUT_MS = 15_000;

export interface LockOptions {
  timeoutMs?: number;
}

/** Per lock file: settles when every in-process holder so far is done (never rejects). */
const localQueues = new Map<string, Promise<void>>();

/** Run fn while holding the exclusive lock of dir (which must exist). */
export async function withLock<T>(dir: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const path = join(dir, LOCK_FILE);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const previous = localQueues.get(path) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => {
    done = r;
  });
  const tail = previous.then(() => mine);
  localQueues.set(path, tail);
  try {
    // The timeout covers the wait behind in-process holders as well as the flock itself.
    await beforeDeadline(previous, deadline, () => timeoutError(path, timeoutMs));
    return await withFlock(path, fn, deadline, timeoutMs);
  } finally {
    done();
    void tail.then(() => {
      if (localQueues.get(path) === tail) localQueues.delete(path);
    });
  }
}

function timeoutError(path: string, timeoutMs: number): UserError {
  return new UserError(
    `timed out after ${timeoutMs} ms waiting for the IPAM lock ${path}`,
    `another process holds it; \`fuser -v ${path}\` shows which`,
  );
}

function beforeDeadline(p: Promise<void>, deadline: number, error: () => Error): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(error()), Math.max(0, deadline - Date.now()));
    void p.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function withFlock<T>(
  path: string,
  fn: () => Promise<T>,
  deadline: number,
  timeoutMs: number,
): Promise<T> {
  const handle = await open(path, "a", 0o600);
  try {
    const addon = native();
    let delay = 1;
    while (!addon.flock(handle.fd, "ex")) {
      if (Date.now() >= deadline) throw timeoutError(path, timeoutMs);
      await sleep(delay * (0.5 + Math.random()));
      delay = Math.min(delay * 2, 50);
    }
    return await fn();
  } finally {
    // Closing the last descriptor of the open file description releases the lock.
    await handle.close();
  }
}
