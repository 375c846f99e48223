/**
 * A long-lived `ip -j -d -batch -` process per node netns, for the resident agent: a batch
 * becomes a write to its stdin instead of a fork+exec from a large Node process (~2-3 ms
 * each on a busy 2-core machine). Each request ends with a sentinel `link show dev lo`; the
 * request is done when its show outputs plus the sentinel's have arrived on stdout (ip
 * flushes JSON output per command). ip runs without -force, so a failing line ends the
 * process: its stderr then names the line ("Command failed -:N", N counted over the
 * session's whole input), the request fails with the same BatchError a one-shot batch gives,
 * and the next request starts a new process.
 *
 * A named netns can be deleted and recreated under the same name (a lab torn down and brought
 * up again); the session records the namespace's inode and restarts when it changes, so it
 * never configures a dead namespace. Requests are serialised per session.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { statSync } from "node:fs";
import type { Spawner } from "../kernel/spawner.js";
import {
  BatchError,
  batchFlags,
  batchOutcome,
  type IpRunner,
  ipArgv,
  type NsRef,
  nsPath,
  sameNs,
} from "./ip-batch.js";

const SENTINEL = "link show dev lo";

interface Pending {
  /** The process the request was written to. */
  child: ChildProcessWithoutNullStreams;
  lines: string[];
  /** Lines the session consumed before this request. */
  base: number;
  want: number;
  got: unknown[];
  resolve(v: unknown[]): void;
  reject(e: Error): void;
}

function countShows(lines: string[]): number {
  return lines.filter((l) => /^\s*\S+\s+show\b/.test(l)).length;
}

export class IpSession {
  private child?: ChildProcessWithoutNullStreams;
  private inode?: number;
  private consumed = 0;
  private out = "";
  private err = "";
  private pending?: Pending;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly ns: NsRef) {}

  batch(lines: string[]): Promise<unknown[]> {
    const p = this.queue.then(() => this.send(lines));
    this.queue = p.catch(() => {});
    return p;
  }

  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private nsInode(): number | undefined {
    if (this.ns.kind === "own") return undefined;
    const path = nsPath(this.ns)!;
    try {
      return statSync(path).ino;
    } catch {
      throw new BatchError(
        this.ns,
        0,
        "",
        `Cannot open network namespace "${path}": No such file or directory`,
      );
    }
  }

  private start(inode: number | undefined): ChildProcessWithoutNullStreams {
    const [cmd, ...args] = ipArgv(this.ns, ["-j", "-d", "-batch", "-"]) as [string, ...string[]];
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    this.inode = inode;
    this.consumed = 0;
    this.out = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (d: string) => this.onStdout(child, d));
    child.stderr.on("data", (d: string) => {
      if (child === this.child) this.err += d;
    });
    child.stdin.on("error", () => {}); // a dead process is reported by "close"
    child.on("error", (e) => this.fail(child, e.message));
    child.on("close", () => this.fail(child, ""));
    return child;
  }

  private send(lines: string[]): Promise<unknown[]> {
    const inode = this.nsInode();
    if (this.child && this.inode !== inode) this.close();
    const child = this.child ?? this.start(inode);
    this.err = "";
    return new Promise<unknown[]>((resolve, reject) => {
      this.pending = {
        child,
        lines,
        base: this.consumed,
        want: countShows(lines) + 1,
        got: [],
        resolve,
        reject,
      };
      this.consumed += lines.length + 1;
      child.stdin.write(`${lines.join("\n")}\n${SENTINEL}\n`);
    });
  }

  private onStdout(child: ChildProcessWithoutNullStreams, data: string): void {
    if (child !== this.child) return;
    this.out += data;
    let nl = this.out.indexOf("\n");
    while (nl >= 0) {
      const line = this.out.slice(0, nl);
      this.out = this.out.slice(nl + 1);
      nl = this.out.indexOf("\n");
      const p = this.pending;
      if (!p || !line.startsWith("[")) continue;
      p.got.push(JSON.parse(line));
      if (p.got.length === p.want) {
        this.pending = undefined;
        p.resolve(p.got.slice(0, -1));
      }
    }
  }

  private fail(child: ChildProcessWithoutNullStreams, why: string): void {
    if (this.child === child) this.child = undefined;
    const p = this.pending;
    // A replaced process (namespace recreated) exiting is no news for the current request.
    if (!p || p.child !== child) return;
    this.pending = undefined;
    const m = /Command failed -:(\d+)/.exec(this.err);
    const line = m ? Number(m[1]) - p.base : 0;
    const says = this.err
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("Command failed"))
      .join("; ");
    p.reject(new BatchError(this.ns, Math.max(line, 0), p.lines[line - 1] ?? "", says || why || "ip exited"));
  }
}

/**
 * An IpRunner with a persistent session for the node's netns; every other namespace (the
 * pods', each used once per ADD) gets a one-shot `ip` started by the small spawner helper,
 * which enters the namespace itself (no `ip -n` mount-namespace work, no fork of the agent).
 */
export class SessionRunner implements IpRunner {
  private readonly session: IpSession;

  constructor(
    readonly node: NsRef,
    private readonly spawner: Spawner,
  ) {
    this.session = new IpSession(node);
  }

  async batch(
    ns: NsRef,
    lines: string[],
    opts: { json?: boolean; details?: boolean } = {},
  ): Promise<unknown[]> {
    if (!sameNs(ns, this.node)) {
      const argv = ["ip", ...batchFlags(opts)];
      const res = await this.spawner.run({ argv, netnsPath: nsPath(ns), input: `${lines.join("\n")}\n` });
      return batchOutcome(ns, lines, res, opts.json ?? false);
    }
    const out = await this.session.batch(lines);
    return opts.json ? out : [];
  }

  close(): void {
    this.session.close();
  }
}
