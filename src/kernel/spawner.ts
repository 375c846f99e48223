/**
 * Node side of native/netns_spawn.c: a small long-lived helper process that starts commands,
 * optionally inside a network namespace given by path. Node forks its whole process for each
 * child (libuv), which costs ~2 ms for a small process and tens of ms for one holding a few
 * hundred MB, such as a lab agent serving many pods; the helper stays ~1 MB and enters the
 * namespace with setns(2). The resident CNI agent runs every pod-side `ip` batch and every
 * delegated IPAM plugin through it. Requests are pipelined; the helper serves them in order.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface SpawnResult {
  /** Exit status, 128+signal, or -1 when the command could not be started. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface SpawnRequest {
  argv: string[];
  /** Network namespace path to run in (/run/netns/x, /proc/PID/ns/net); omitted: the helper's. */
  netnsPath?: string;
  /** Complete environment; omitted: the helper's. */
  env?: Record<string, string>;
  input?: string;
}

/** build/netns_spawn, found from src/ or dist/src/ alike. */
export function spawnerPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("flatnet checkout not found above src/kernel");
    dir = up;
  }
  return join(dir, "build", "netns_spawn");
}

function frame(parts: Array<number | string | Buffer>): Buffer {
  const bufs: Buffer[] = [];
  for (const p of parts) {
    if (typeof p === "number") {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(p);
      bufs.push(b);
    } else {
      const data = typeof p === "string" ? Buffer.from(p) : p;
      const len = Buffer.alloc(4);
      len.writeUInt32LE(data.length);
      bufs.push(len, data);
    }
  }
  return Buffer.concat(bufs);
}

export class Spawner {
  private child?: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private readonly waiting = new Map<number, (r: SpawnResult) => void>();
  private pending = Buffer.alloc(0);

  constructor(private readonly helper = spawnerPath()) {}

  run(req: SpawnRequest): Promise<SpawnResult> {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    const env = req.env ? Object.entries(req.env).map(([k, v]) => `${k}=${v}`) : [];
    const msg = frame([
      id,
      req.netnsPath ?? "",
      req.argv.length,
      ...req.argv,
      env.length,
      ...env,
      req.input ?? "",
    ]);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      if (this.waiting.size === 1) this.hold(child, true);
      child.stdin.write(msg);
    });
  }

  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  /**
   * An idle helper must not keep its parent alive (a CLI command would never exit), a busy
   * one must (a pending promise alone does not keep Node's event loop running).
   */
  private hold(child: ChildProcessWithoutNullStreams, busy: boolean): void {
    for (const h of [child, child.stdout, child.stderr, child.stdin] as Array<{
      ref(): void;
      unref(): void;
    }>) {
      if (busy) h.ref();
      else h.unref();
    }
  }

  private start(): ChildProcessWithoutNullStreams {
    const child = spawn(this.helper, [], { stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    this.pending = Buffer.alloc(0);
    child.stdout.on("data", (d: Buffer) => this.onData(d));
    child.stdin.on("error", () => {});
    const gone = (why: string) => {
      if (this.child === child) this.child = undefined;
      for (const [id, resolve] of this.waiting) {
        this.waiting.delete(id);
        resolve({ code: -1, stdout: "", stderr: `netns_spawn helper ${why}` });
      }
    };
    child.on("error", (e) => gone(`failed: ${e.message}`));
    child.on("close", (code) => gone(`exited (${code})`));
    return child;
  }

  private onData(d: Buffer): void {
    this.pending = Buffer.concat([this.pending, d]);
    for (;;) {
      const b = this.pending;
      if (b.length < 12) return;
      const outLen = b.readUInt32LE(8);
      if (b.length < 16 + outLen) return;
      const errLen = b.readUInt32LE(12 + outLen);
      const total = 16 + outLen + errLen;
      if (b.length < total) return;
      const id = b.readUInt32LE(0);
      const result = {
        code: b.readInt32LE(4),
        stdout: b.toString("utf8", 12, 12 + outLen),
        stderr: b.toString("utf8", 16 + outLen, total),
      };
      this.pending = b.subarray(total);
      const resolve = this.waiting.get(id);
      this.waiting.delete(id);
      if (this.waiting.size === 0 && this.child) this.hold(this.child, false);
      resolve?.(result);
    }
  }
}
