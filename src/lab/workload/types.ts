/**
 * The workload host's vocabulary: what the lab hands over for a pod (a wired network
 * namespace plus Kubernetes container specs) and what comes back (container and pod status
 * shaped like the JSON of a Kubernetes PodStatus, so the lab can copy it into the object).
 * Plain data only: everything here crosses the child_process IPC channel unchanged.
 */
import type { V1Container } from "@kubernetes/client-node";

export type RestartPolicy = "Always" | "OnFailure" | "Never";

export interface WorkloadPodSpec {
  /** metadata.uid: the key of the pod in the host. */
  uid: string;
  namespace: string;
  name: string;
  /** Name of the pod's network namespace under /run/netns (for `ip netns exec`). */
  netnsName: string;
  /** Path of the pod's network namespace (sockets are created inside it). */
  netnsPath: string;
  /**
   * Path of the node's network namespace: httpGet/tcpSocket readiness probes connect from
   * there to the pod IP, as the kubelet does. Without it they connect from the pod itself.
   */
  nodeNetnsPath?: string;
  /** Primary pod IP (status.podIP). */
  podIP: string;
  /** All pod IPs (status.podIPs), primary first; defaults to [podIP]. */
  podIPs?: string[];
  nodeName?: string;
  containers: V1Container[];
  /** spec.restartPolicy; default Always. */
  restartPolicy?: RestartPolicy;
  /** spec.terminationGracePeriodSeconds: SIGTERM, then SIGKILL after this; default 30. */
  terminationGracePeriodSeconds?: number;
  /** Directory for the containers' logs, one `<container>.log` each; created if missing. */
  logsDir: string;
  /** Extra environment for every container (e.g. Service variables), before container env. */
  extraEnv?: Record<string, string>;
}

export interface ContainerStateRunningJson {
  startedAt: string;
}
export interface ContainerStateWaitingJson {
  reason: string;
  message?: string;
}
export interface ContainerStateTerminatedJson {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt?: string;
  finishedAt: string;
}
/** V1ContainerState as JSON: exactly one member is set. */
export interface ContainerStateJson {
  running?: ContainerStateRunningJson;
  waiting?: ContainerStateWaitingJson;
  terminated?: ContainerStateTerminatedJson;
}

/** V1ContainerStatus as JSON (without image fields: lab pods have no images). */
export interface WorkloadContainerStatus {
  name: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: ContainerStateJson;
  lastState: ContainerStateJson;
}

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

export interface WorkloadPodStatus {
  uid: string;
  namespace: string;
  name: string;
  phase: PodPhase;
  /** All containers ready (the PodReady condition). */
  ready: boolean;
  containerStatuses: WorkloadContainerStatus[];
}

export interface ReadyEvent {
  uid: string;
  ready: boolean;
  status: WorkloadPodStatus;
}

export interface ContainerStateChangedEvent {
  uid: string;
  container: WorkloadContainerStatus;
  status: WorkloadPodStatus;
}

export interface WorkloadHostEvents {
  ready: (event: ReadyEvent) => void;
  containerStateChanged: (event: ContainerStateChangedEvent) => void;
}
