/**
 * A container with a command: a real process inside the pod (see pod-exec.ts), in its own
 * session and process group, so stopping it signals exactly the container and whatever it
 * forked (SIGTERM, then SIGKILL after the grace period; leftovers of the group are killed
 * when the main process ends, as a runtime kills the rest of a container's cgroup).
 * stdout and stderr append to `<logsDir>/<container>.log`. When it exits, the pod's
 * restartPolicy decides: Always restarts, OnFailure restarts on a non-zero exit, Never
 * leaves it terminated; restarts wait an exponential back-off (state CrashLoopBackOff)
 * that resets once a run lasted long enough.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import type { V1Container } from "@kubernetes/client-node";
import { ContainerRunner } from "./container-state.js";
import { containerCommand, containerEnv, podExecArgv } from "./pod-exec.js";
import { killGroup } from "./process-group.js";
import type { RestartPolicy, WorkloadPodSpec } from "./types.js";

export interface BackoffOptions {
  /** First restart delay. */
  initialMs: number;
  /** Ceiling of the doubling delay. */
  maxMs: number;
  /** A run at least this long resets the delay to initialMs. */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 60_000, resetAfterMs: 60_000 };

/** Whether a container that exited with exitCode is started again under policy. */
export function shouldRestart(policy: RestartPolicy, exitCode: number): boolean {
  return policy === "Always" || (policy === "OnFailure" && exitCode !== 0);
}

function signalNumber(signal: NodeJS.Signals | null): number | undefined {
  return signal ? constants.signals[signal] : undefined;
}

export class CommandContainer extends ContainerRunner {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | undefined;
  private nextDelayMs: number;
  private startedAtMs = 0;
  private stopped = false;

  constructor(
    private readonly spec: WorkloadPodSpec,
    private readonly container: V1Container,
    private readonly restartPolicy: RestartPolicy,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {
    super(container.name);
    this.nextDelayMs = backoff.initialMs;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get logPath(): string {
    return join(this.spec.logsDir, `${this.name}.log`);
  }

  async start(): Promise<void> {
    if (this.stopped) return;
    let argv: string[];
    let env: Record<string, string>;
    try {
      env = containerEnv(this.spec, this.container);
      argv = podExecArgv(this.spec.netnsName, this.spec.name, containerCommand(this.container, env));
    } catch (err) {
      return this.setWaiting("CreateContainerConfigError", (err as Error).message);
    }
    const cwd = this.container.workingDir || "/";
    if (!existsSync(cwd)) {
      return this.setWaiting("CreateContainerError", `workingDir ${cwd} does not exist on the host`);
    }
    mkdirSync(this.spec.logsDir, { recursive: true });
    const logFd = openSync(this.logPath, "a");
    try {
      const child = spawn(argv[0]!, argv.slice(1), {
        cwd,
        env,
        detached: true,
        stdio: ["ignore", logFd, logFd],
      });
      this.child = child;
      this.startedAtMs = Date.now();
      this.exited = new Promise((resolve) => {
        child.once("error", (err) => {
          this.onExit(child, 128, null, `cannot start ${argv[0]}: ${err.message}`);
          resolve();
        });
        child.once("exit", (code, signal) => {
          this.onExit(child, code ?? 128 + (signalNumber(signal) ?? 0), signal, undefined);
          resolve();
        });
      });
      if (child.pid !== undefined) this.setRunning();
    } finally {
      closeSync(logFd);
    }
  }

  private onExit(
    child: ChildProcess,
    exitCode: number,
    signal: NodeJS.Signals | null,
    message?: string,
  ): void {
    if (this.child !== child) return;
    if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
    this.child = undefined;
    const reason = message ? "StartError" : exitCode === 0 ? "Completed" : "Error";
    const sig = signalNumber(signal);
    this.setTerminated({
      exitCode,
      reason,
      ...(sig !== undefined ? { signal: sig } : {}),
      ...(message ? { message } : {}),
    });
    if (this.stopped || !shouldRestart(this.restartPolicy, exitCode)) return;
    if (Date.now() - this.startedAtMs >= this.backoff.resetAfterMs) this.nextDelayMs = this.backoff.initialMs;
    const delay = this.nextDelayMs;
    this.nextDelayMs = Math.min(this.nextDelayMs * 2, this.backoff.maxMs);
    this.rememberLastState();
    this.setWaiting(
      "CrashLoopBackOff",
      `back-off ${delay} ms restarting failed container=${this.name} pod=${this.spec.namespace}/${this.spec.name}`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restartCount++;
      void this.start();
    }, delay);
  }

  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (!child || child.pid === undefined) return;
    const pgid = child.pid;
    killGroup(pgid, "SIGTERM");
    const killer = setTimeout(() => killGroup(pgid, "SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(killer);
  }
}
