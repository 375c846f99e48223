/**
 * Processes inside network namespaces for tests and benchmarks: long-running ones (servers,
 * tcpdump) are tracked in a ProcessGroup and stopped by PID, never by name; short ones run to
 * completion with their output and exit code. Servers are awaited with `ss` rather than sleeps.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { runStatus } from "../../src/kernel/exec.js";

export interface Started {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export class ProcessGroup {
  private readonly started: Started[] = [];

  /** Start `argv` inside `ns` (through `ip netns exec`). */
  spawn(ns: string, argv: string[]): Started {
    const child = spawn("ip", ["netns", "exec", ns, ...argv], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout?.on("data", (d) => {
      out += d;
    });
    child.stderr?.on("data", (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((resolve) => {
      child.on("error", () => resolve(127));
      child.on("close", (code) => resolve(code));
    });
    const s = { child, stdout: () => out, stderr: () => err, exited };
    this.started.push(s);
    return s;
  }

  /** Stop one process by its PID (SIGTERM, then SIGKILL after 2 s) and wait for it. */
  async stop(s: Started): Promise<void> {
    if (s.child.exitCode === null && s.child.signalCode === null && s.child.pid !== undefined) {
      s.child.kill("SIGTERM");
      const timer = setTimeout(() => s.child.kill("SIGKILL"), 2000);
      await s.exited;
      clearTimeout(timer);
    }
    this.started.splice(this.started.indexOf(s), 1);
  }

  /** Stop every process this group started. */
  async stopAll(): Promise<void> {
    for (const s of [...this.started]) await this.stop(s);
  }
}

/** Run a command inside `ns` to completion. */
export function execIn(
  ns: string,
  argv: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runStatus(argv, { netns: ns, input });
}

/** Wait until something listens on `port` (TCP) or is bound to it (UDP) inside `ns`. */
export async function waitForPort(
  ns: string,
  proto: "tcp" | "udp",
  port: number,
  timeoutMs = 5000,
): Promise<void> {
  const flag = proto === "tcp" ? "-Hltn" : "-Hlun";
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await execIn(ns, ["ss", flag, `sport = :${port}`]);
    if (r.stdout.trim() !== "") return;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`nothing listens on ${proto} port ${port} in ${ns} after ${timeoutMs} ms`);
}

/** Wait until a started process printed `text` on stderr (tcpdump's "listening on"). */
export async function waitForStderr(s: Started, text: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!s.stderr().includes(text)) {
    if (Date.now() > deadline || s.child.exitCode !== null) {
      throw new Error(`process did not print "${text}": ${s.stderr()}`);
    }
    await new Promise((res) => setTimeout(res, 20));
  }
}
