/**
 * WorkloadHostClient: the WorkloadHost API, served by a child process (host-main) over
 * Node's IPC channel. The lab can run one host per node or one per lab without changing
 * its code; a crashing host only takes its own pods down, and when the lab process dies
 * the host notices the closed channel and stops its pods. Errors cross the channel with
 * their name, message and fix (UserError stays a UserError).
 */
import { type ChildProcess, fork } from "node:child_process";
import { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import { UserError } from "../../util/errors.js";
import type { WorkloadHostApi, WorkloadHostOptions } from "./host.js";
import type { HostMessage, HostReplies, HostRequest, SerializedError } from "./ipc.js";
import type { ProbeCheck, ProbeOptions, ProbeResult } from "./probe.js";
import type { WorkloadHostEvents, WorkloadPodSpec, WorkloadPodStatus } from "./types.js";

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type RequestBody = HostRequest extends infer R
  ? R extends HostRequest
    ? Omit<R, "kind" | "id">
    : never
  : never;

function reviveError(e: SerializedError): Error {
  if (e.name === "UserError") return new UserError(e.message, e.fix);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

/** host-main next to this module; under tsx (a .ts module) run the .ts entry with tsx. */
function hostMainEntry(): { path: string; execArgv: string[] } {
  const self = import.meta.url;
  if (self.endsWith(".ts")) {
    return { path: fileURLToPath(new URL("./host-main.ts", self)), execArgv: ["--import", "tsx"] };
  }
  return { path: fileURLToPath(new URL("./host-main.js", self)), execArgv: [] };
}

export class WorkloadHostClient extends EventEmitter implements WorkloadHostApi {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exitError: Error | undefined;
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    super();
    child.on("message", (m: HostMessage) => this.onMessage(m));
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitError = new Error(`workload host (pid ${child.pid}) exited (${signal ?? `code ${code}`})`);
        for (const p of this.pending.values()) p.reject(this.exitError);
        this.pending.clear();
        this.emit("exit", code, signal);
        resolve();
      });
    });
  }

  /** Fork a host process and resolve once it is ready for requests. */
  static async start(options: WorkloadHostOptions = {}): Promise<WorkloadHostClient> {
    const entry = hostMainEntry();
    const child = fork(entry.path, [JSON.stringify(options)], {
      execArgv: entry.execArgv,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "json",
    });
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`workload host exited during start (code ${code})`));
      child.once("error", reject);
      child.once("exit", onExit);
      child.once("message", (m: HostMessage) => {
        child.off("exit", onExit);
        child.off("error", reject);
        if (m.kind === "hello") resolve();
        else reject(new Error(`workload host sent ${m.kind} before hello`));
      });
    });
    return new WorkloadHostClient(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  override on<E extends keyof WorkloadHostEvents>(event: E, listener: WorkloadHostEvents[E]): this;
  override on(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  override on(event: string, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override off<E extends keyof WorkloadHostEvents>(event: E, listener: WorkloadHostEvents[E]): this {
    return super.off(event, listener);
  }

  private onMessage(m: HostMessage): void {
    if (m.kind === "event") {
      this.emit(m.event, m.payload);
    } else if (m.kind === "reply") {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(reviveError(m.error));
    }
  }

  private request<K extends keyof HostReplies>(body: RequestBody & { op: K }): Promise<HostReplies[K]> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ kind: "request", id, ...body } as HostRequest, (err) => {
        if (err && this.pending.delete(id)) reject(err);
      });
    });
  }

  addPod(spec: WorkloadPodSpec): Promise<WorkloadPodStatus> {
    return this.request({ op: "addPod", spec });
  }

  removePod(uid: string): Promise<boolean> {
    return this.request({ op: "removePod", uid });
  }

  listPods(): Promise<WorkloadPodStatus[]> {
    return this.request({ op: "listPods" });
  }

  probe(checks: ProbeCheck[], options?: ProbeOptions): Promise<ProbeResult[]> {
    return this.request(options ? { op: "probe", checks, options } : { op: "probe", checks });
  }

  /** Stop every pod, then the host process; resolves when it has exited. */
  async shutdown(): Promise<void> {
    try {
      if (!this.exitError) await this.request({ op: "shutdown" });
    } catch (err) {
      // A host that exits before its reply arrives has shut down all the same.
      if (!this.exitError) throw err;
    }
    await this.exited;
  }

  /** Kill the host process at once (its pods' processes are stopped by the host on SIGTERM). */
  async kill(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (!this.exitError) this.child.kill(signal);
    await this.exited;
  }
}
