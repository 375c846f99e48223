/**
 * The messages between WorkloadHostClient and host-main over Node's child_process IPC
 * channel (JSON serialization). Requests carry an id answered by exactly one reply; events
 * flow from the host unprompted; "hello" tells the client the host is ready to serve.
 */
import type { ProbeCheck, ProbeOptions, ProbeResult } from "./probe.js";
import type { ContainerStateChangedEvent, ReadyEvent, WorkloadPodSpec, WorkloadPodStatus } from "./types.js";

export type HostRequest =
  | { kind: "request"; id: number; op: "addPod"; spec: WorkloadPodSpec }
  | { kind: "request"; id: number; op: "removePod"; uid: string }
  | { kind: "request"; id: number; op: "listPods" }
  | { kind: "request"; id: number; op: "probe"; checks: ProbeCheck[]; options?: ProbeOptions }
  | { kind: "request"; id: number; op: "shutdown" };

/** What each request op resolves to. */
export interface HostReplies {
  addPod: WorkloadPodStatus;
  removePod: boolean;
  listPods: WorkloadPodStatus[];
  probe: ProbeResult[];
  shutdown: null;
}

export interface SerializedError {
  name: string;
  message: string;
  fix?: string;
}

export type HostMessage =
  | { kind: "hello"; pid: number }
  | { kind: "reply"; id: number; ok: true; result: unknown }
  | { kind: "reply"; id: number; ok: false; error: SerializedError }
  | { kind: "event"; event: "ready"; payload: ReadyEvent }
  | { kind: "event"; event: "containerStateChanged"; payload: ContainerStateChangedEvent };

export function isHostRequest(m: unknown): m is HostRequest {
  return typeof m === "object" && m !== null && (m as HostRequest).kind === "request";
}
