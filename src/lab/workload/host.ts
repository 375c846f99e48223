/**
 * The workload host: every pod of a node (or of a whole lab) in one Node process. Built-in
 * servers are sockets created in the pods' namespaces and served by this process's event
 * loop, so a pod costs a few kilobytes instead of a process; containers with a command are
 * real processes the host supervises. The same API is offered across a process boundary by
 * WorkloadHostClient (host-client.ts), so the lab can choose one host per node or per lab.
 */
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import net from "node:net";
import { UserError } from "../../util/errors.js";
import { type BackoffOptions, DEFAULT_BACKOFF } from "./command-container.js";
import { PodWorkload } from "./pod.js";
import { type ProbeCheck, type ProbeOptions, type ProbeResult, runProbes } from "./probe.js";
import type { WorkloadHostEvents, WorkloadPodSpec, WorkloadPodStatus } from "./types.js";

export interface WorkloadHostOptions {
  /** Restart back-off of command containers. */
  backoff?: Partial<BackoffOptions>;
  /** Poll interval for ports of probe-less command containers; default 200 ms. */
  listenPollMs?: number;
}

/** What both the in-process host and its IPC client offer. */
export interface WorkloadHostApi {
  addPod(spec: WorkloadPodSpec): Promise<WorkloadPodStatus>;
  /** Stop a pod's containers and close its sockets; false when the uid is not hosted. */
  removePod(uid: string): Promise<boolean>;
  listPods(): Promise<WorkloadPodStatus[]>;
  probe(checks: ProbeCheck[], options?: ProbeOptions): Promise<ProbeResult[]>;
  /** Stop everything the host started. */
  shutdown(): Promise<void>;
  on<E extends keyof WorkloadHostEvents>(event: E, listener: WorkloadHostEvents[E]): this;
  off<E extends keyof WorkloadHostEvents>(event: E, listener: WorkloadHostEvents[E]): this;
}

/** Reject a spec that cannot work, naming the field. */
export function validatePodSpec(spec: WorkloadPodSpec): void {
  const where = `pod ${spec?.namespace}/${spec?.name}`;
  for (const field of ["uid", "namespace", "name", "netnsName", "netnsPath", "podIP", "logsDir"] as const) {
    if (typeof spec?.[field] !== "string" || spec[field] === "") {
      throw new UserError(`${where}: workload spec field ${field} is missing`);
    }
  }
  if (!net.isIP(spec.podIP))
    throw new UserError(`${where}: podIP ${JSON.stringify(spec.podIP)} is not an IP address`);
  if (!existsSync(spec.netnsPath)) {
    throw new UserError(
      `${where}: network namespace ${spec.netnsPath} does not exist`,
      "create and wire it first",
    );
  }
  if (spec.nodeNetnsPath && !existsSync(spec.nodeNetnsPath)) {
    throw new UserError(`${where}: node network namespace ${spec.nodeNetnsPath} does not exist`);
  }
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    throw new UserError(`${where}: spec.containers is empty`);
  }
  const names = new Set<string>();
  for (const c of spec.containers) {
    if (!c?.name) throw new UserError(`${where}: a container has no name`);
    if (names.has(c.name)) throw new UserError(`${where}: two containers are named ${c.name}`);
    names.add(c.name);
  }
  if (spec.restartPolicy && !["Always", "OnFailure", "Never"].includes(spec.restartPolicy)) {
    throw new UserError(`${where}: restartPolicy ${spec.restartPolicy} is not Always, OnFailure or Never`);
  }
}

export class WorkloadHost extends EventEmitter implements WorkloadHostApi {
  private readonly pods = new Map<string, { pod: PodWorkload; started: Promise<void> }>();
  private readonly backoff: BackoffOptions;
  private readonly listenPollMs: number;
  private closed = false;

  constructor(options: WorkloadHostOptions = {}) {
    super();
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.listenPollMs = options.listenPollMs ?? 200;
  }

  override on<E extends keyof WorkloadHostEvents>(event: E, listener: WorkloadHostEvents[E]): this {
    return super.on(event, listener);
  }

  override off<E extends keyof WorkloadHostEvents>(event: E, listener: WorkloadHostEvents[E]): this {
    return super.off(event, listener);
  }

  async addPod(spec: WorkloadPodSpec): Promise<WorkloadPodStatus> {
    if (this.closed) throw new UserError("the workload host is shut down");
    validatePodSpec(spec);
    if (this.pods.has(spec.uid)) {
      throw new UserError(
        `pod ${spec.namespace}/${spec.name}: uid ${spec.uid} is already hosted`,
        "remove it first",
      );
    }
    const pod = new PodWorkload(
      spec,
      { backoff: this.backoff, listenPollMs: this.listenPollMs },
      {
        ready: (e) => this.emit("ready", e),
        containerStateChanged: (e) => this.emit("containerStateChanged", e),
      },
    );
    const started = pod.start();
    this.pods.set(spec.uid, { pod, started: started.catch(() => {}) });
    try {
      await started;
    } catch (err) {
      this.pods.delete(spec.uid);
      await pod.stop();
      throw err;
    }
    return pod.status();
  }

  async removePod(uid: string): Promise<boolean> {
    const entry = this.pods.get(uid);
    if (!entry) return false;
    this.pods.delete(uid);
    await entry.started;
    await entry.pod.stop();
    return true;
  }

  async listPods(): Promise<WorkloadPodStatus[]> {
    return [...this.pods.values()].map((e) => e.pod.status());
  }

  /** Status of one pod, or undefined when not hosted. */
  podStatus(uid: string): WorkloadPodStatus | undefined {
    return this.pods.get(uid)?.pod.status();
  }

  probe(checks: ProbeCheck[], options?: ProbeOptions): Promise<ProbeResult[]> {
    return runProbes(checks, options);
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pods.keys()].map((uid) => this.removePod(uid)));
  }
}
