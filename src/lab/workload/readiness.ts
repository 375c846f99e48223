/**
 * Readiness of one container, restarted with every run of it. With a readinessProbe it
 * follows the kubelet: not ready at start; the first probe after initialDelaySeconds, then
 * one every periodSeconds (runs never overlap), each bounded by timeoutSeconds; ready after
 * successThreshold consecutive successes, unready after failureThreshold consecutive
 * failures. Without a probe, flatnet's rule: ready once every declared port listens — at
 * once for the built-in server (its sockets listen when created), by polling the socket
 * tables of the pod's namespace for a process.
 */
import type { V1Container, V1Probe } from "@kubernetes/client-node";
import type { ContainerRunner } from "./container-state.js";
import { portsNotListening } from "./listening.js";
import { runProbeAction } from "./probe-actions.js";
import type { ServedPort } from "./served-ports.js";
import type { WorkloadPodSpec } from "./types.js";

export interface ReadinessOptions {
  /** How often a probe-less process container's ports are checked until they listen. */
  listenPollMs: number;
}

export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** Kubernetes' defaults and minimums for a probe's timing fields. */
export function probeTiming(probe: V1Probe): ProbeTiming {
  return {
    initialDelayMs: Math.max(0, probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: Math.max(1, probe.periodSeconds ?? 10) * 1000,
    successThreshold: Math.max(1, probe.successThreshold ?? 1),
    failureThreshold: Math.max(1, probe.failureThreshold ?? 3),
  };
}

export class ReadinessMonitor {
  ready = false;
  /** Why the container is not ready (last probe failure or ports still closed). */
  message: string | undefined;
  private generation = 0;
  private timer: NodeJS.Timeout | undefined;
  private successes = 0;
  private failures = 0;

  constructor(
    private readonly spec: WorkloadPodSpec,
    private readonly container: V1Container,
    private readonly runner: ContainerRunner,
    private readonly ports: ServedPort[],
    private readonly onChange: () => void,
    private readonly options: ReadinessOptions,
  ) {}

  /** Call on every state change of the container. */
  containerChanged(): void {
    const active = this.generation % 2 === 1;
    if (this.runner.running && !active) this.begin();
    else if (!this.runner.running && active) this.end();
  }

  /** Stop all timers for good. */
  stop(): void {
    if (this.generation % 2 === 1) this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private begin(): void {
    this.generation++;
    this.successes = 0;
    this.failures = 0;
    const gen = this.generation;
    const probe = this.container.readinessProbe;
    if (probe) {
      this.schedule(gen, probeTiming(probe).initialDelayMs, () => this.probeOnce(gen, probe));
    } else {
      void this.pollPorts(gen);
    }
  }

  private end(): void {
    this.stop();
    this.set(false, "container is not running");
  }

  private schedule(gen: number, delayMs: number, fn: () => void): void {
    if (gen !== this.generation) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (gen === this.generation) fn();
    }, delayMs);
  }

  private set(ready: boolean, message?: string): void {
    this.message = ready ? undefined : message;
    if (ready === this.ready) return;
    this.ready = ready;
    this.onChange();
  }

  private async probeOnce(gen: number, probe: V1Probe): Promise<void> {
    const timing = probeTiming(probe);
    const started = Date.now();
    const result = await runProbeAction(this.spec, this.container, probe);
    if (gen !== this.generation) return;
    if (result.ok) {
      this.failures = 0;
      if (++this.successes >= timing.successThreshold) this.set(true);
    } else {
      this.successes = 0;
      this.message = result.message;
      if (++this.failures >= timing.failureThreshold) this.set(false, result.message);
    }
    this.schedule(gen, Math.max(0, timing.periodMs - (Date.now() - started)), () =>
      this.probeOnce(gen, probe),
    );
  }

  private async pollPorts(gen: number): Promise<void> {
    const pid = this.runner.pid;
    if (pid === undefined) return this.set(true);
    const closed = await portsNotListening(pid, this.spec.netnsPath, this.ports);
    if (gen !== this.generation) return;
    if (closed.length === 0) return this.set(true);
    this.message = `waiting for ports to listen: ${closed.map((p) => `${p.port}/${p.protocol}`).join(", ")}`;
    this.schedule(gen, this.options.listenPollMs, () => void this.pollPorts(gen));
  }
}
