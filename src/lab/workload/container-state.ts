/**
 * The state every lab container keeps, whatever runs it (the shared built-in server or a
 * real process): current and last V1ContainerState, restart count, and a "change" event
 * on every transition, so the pod can aggregate phase and readiness in one place.
 */
import { EventEmitter } from "node:events";
import type { ContainerStateJson, ContainerStateTerminatedJson } from "./types.js";

/** Kubernetes timestamps: RFC 3339, seconds precision. */
export function k8sTime(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export abstract class ContainerRunner extends EventEmitter {
  state: ContainerStateJson = { waiting: { reason: "ContainerCreating" } };
  lastState: ContainerStateJson = {};
  restartCount = 0;

  constructor(readonly name: string) {
    super();
  }

  get running(): boolean {
    return this.state.running !== undefined;
  }

  /** PID of a process inside the pod's namespace while running (for listening checks). */
  abstract get pid(): number | undefined;
  /** Start the container (returns once it runs or has failed to start). */
  abstract start(): Promise<void>;
  /** Stop for good: no restart afterwards. */
  abstract stop(graceMs: number): Promise<void>;

  protected setRunning(): void {
    this.state = { running: { startedAt: k8sTime() } };
    this.emit("change");
  }

  protected setWaiting(reason: string, message?: string): void {
    this.state = { waiting: message ? { reason, message } : { reason } };
    this.emit("change");
  }

  protected setTerminated(t: Omit<ContainerStateTerminatedJson, "finishedAt" | "startedAt">): void {
    const terminated: ContainerStateTerminatedJson = { ...t, finishedAt: k8sTime() };
    const startedAt = this.state.running?.startedAt;
    if (startedAt) terminated.startedAt = startedAt;
    this.state = { terminated };
    this.emit("change");
  }

  /** Entering a restart: the terminated state becomes lastState. */
  protected rememberLastState(): void {
    if (this.state.terminated) this.lastState = { terminated: this.state.terminated };
  }
}
