/**
 * One pod in the workload host: its containers (built-in server or process), a readiness
 * monitor per container, and the pod-level view derived from them the way the kubelet
 * derives it: phase from the container states and restartPolicy, Ready when the pod runs
 * and every container is ready. Changes are reported through the sink as they happen;
 * once removal starts the pod falls silent (the lab is deleting it).
 */
import type { V1Container } from "@kubernetes/client-node";
import { BuiltinContainer } from "./builtin-container.js";
import { type BackoffOptions, CommandContainer } from "./command-container.js";
import type { ContainerRunner } from "./container-state.js";
import { ipFamily } from "./ns-socket.js";
import { ReadinessMonitor, type ReadinessOptions } from "./readiness.js";
import { type ServedPort, servedPorts } from "./served-ports.js";
import type {
  ContainerStateChangedEvent,
  PodPhase,
  ReadyEvent,
  WorkloadContainerStatus,
  WorkloadPodSpec,
  WorkloadPodStatus,
} from "./types.js";

export interface PodEventSink {
  ready(event: ReadyEvent): void;
  containerStateChanged(event: ContainerStateChangedEvent): void;
}

export interface PodOptions extends ReadinessOptions {
  backoff: BackoffOptions;
}

interface PodContainer {
  runner: ContainerRunner;
  readiness: ReadinessMonitor;
}

/** Phase of a pod from its containers, as the kubelet computes it. */
export function podPhase(runners: ContainerRunner[], restartPolicy: string): PodPhase {
  if (runners.some((r) => r.state.waiting && r.restartCount === 0 && !r.lastState.terminated))
    return "Pending";
  const terminated = runners.map((r) => r.state.terminated);
  if (terminated.every((t) => t !== undefined)) {
    if (terminated.every((t) => t!.exitCode === 0)) return "Succeeded";
    return restartPolicy === "Always" ? "Running" : "Failed";
  }
  return "Running";
}

/** Ports whose listening makes a probe-less container ready. */
function declaredPorts(c: V1Container): ServedPort[] {
  if (!c.command) return servedPorts(c).ports;
  return (c.ports ?? [])
    .map((p) => ({
      port: p.containerPort,
      protocol: (p.protocol ?? "TCP").toUpperCase() as ServedPort["protocol"],
    }))
    .filter((p) => p.protocol === "TCP" || p.protocol === "UDP");
}

export class PodWorkload {
  private readonly containers: PodContainer[];
  private wasReady = false;
  private silent = false;
  private inTransition = false;

  constructor(
    readonly spec: WorkloadPodSpec,
    options: PodOptions,
    private readonly sink: PodEventSink,
  ) {
    for (const c of spec.containers) {
      if (!c.name) throw new Error(`pod ${spec.namespace}/${spec.name}: a container has no name`);
    }
    const ips = spec.podIPs?.length ? spec.podIPs : [spec.podIP];
    const family = ips.some((ip) => ipFamily(ip) === 6) ? 6 : 4;
    const restartPolicy = spec.restartPolicy ?? "Always";
    this.containers = spec.containers.map((c) => {
      const runner: ContainerRunner = c.command
        ? new CommandContainer(spec, c, restartPolicy, options.backoff)
        : new BuiltinContainer(spec, c, family);
      const readiness = new ReadinessMonitor(
        spec,
        c,
        runner,
        declaredPorts(c),
        () => this.readinessChanged(),
        options,
      );
      runner.on("change", () => {
        // Readiness follows the state first, so the one report below carries both.
        this.inTransition = true;
        readiness.containerChanged();
        this.inTransition = false;
        this.stateChanged(runner);
      });
      return { runner, readiness };
    });
  }

  /** Start every container; resolves once each runs or has failed to start. */
  async start(): Promise<void> {
    await Promise.all(this.containers.map((c) => c.runner.start()));
  }

  /** Stop every container (SIGTERM, SIGKILL after the grace period) and close its sockets. */
  async stop(): Promise<void> {
    this.silent = true;
    const graceMs = Math.max(0, this.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    for (const c of this.containers) c.readiness.stop();
    await Promise.all(this.containers.map((c) => c.runner.stop(graceMs)));
  }

  status(): WorkloadPodStatus {
    const phase = podPhase(
      this.containers.map((c) => c.runner),
      this.spec.restartPolicy ?? "Always",
    );
    return {
      uid: this.spec.uid,
      namespace: this.spec.namespace,
      name: this.spec.name,
      phase,
      ready: phase === "Running" && this.containers.every((c) => c.readiness.ready),
      containerStatuses: this.containers.map((c) => this.containerStatus(c)),
    };
  }

  private containerStatus({ runner, readiness }: PodContainer): WorkloadContainerStatus {
    return {
      name: runner.name,
      ready: readiness.ready,
      started: runner.running,
      restartCount: runner.restartCount,
      state: runner.state,
      lastState: runner.lastState,
    };
  }

  private stateChanged(runner: ContainerRunner): void {
    if (this.silent) return;
    const c = this.containers.find((x) => x.runner === runner);
    if (!c) return;
    const status = this.status();
    this.sink.containerStateChanged({ uid: this.spec.uid, container: this.containerStatus(c), status });
    this.reportReadiness(status);
  }

  private readinessChanged(): void {
    if (!this.silent && !this.inTransition) this.reportReadiness(this.status());
  }

  private reportReadiness(status: WorkloadPodStatus): void {
    if (status.ready === this.wasReady) return;
    this.wasReady = status.ready;
    this.sink.ready({ uid: this.spec.uid, ready: status.ready, status });
  }
}
