/**
 * PodStatus as the kubelet reports it, built from what the node agent knows: scheduling,
 * network (pod IPs), and the workload host's container statuses and readiness.
 */
import type { WorkloadContainerStatus } from "../lab/workload/types.js";

type Condition = {
  type: string;
  status: "True" | "False";
  reason?: string;
  message?: string;
  lastTransitionTime: string;
};

function condition(type: string, ok: boolean, reason?: string, message?: string): Condition {
  const c: Condition = { type, status: ok ? "True" : "False", lastTransitionTime: new Date().toISOString() };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** Keep lastTransitionTime of conditions whose status did not change. */
function keepTransitions(next: Condition[], prev: Condition[] | undefined): Condition[] {
  return next.map((c) => {
    const old = prev?.find((p) => p.type === c.type);
    return old && old.status === c.status ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
  });
}

export function unschedulableStatus(message: string, prev?: any): any {
  return {
    phase: "Pending",
    conditions: keepTransitions(
      [condition("PodScheduled", false, "Unschedulable", message)],
      prev?.conditions,
    ),
  };
}

/** Scheduled, network and containers being set up (or failing to be: `message`). */
export function creatingStatus(hostIP: string, prev?: any, message?: string): any {
  return {
    phase: "Pending",
    hostIP,
    hostIPs: [{ ip: hostIP }],
    conditions: keepTransitions(
      [
        condition("PodScheduled", true),
        condition("Initialized", true),
        condition("Ready", false, "ContainersNotReady"),
      ],
      prev?.conditions,
    ),
    ...(message ? { message } : {}),
    containerStatuses: prev?.containerStatuses,
    startTime: prev?.startTime,
  };
}

export function runningStatus(opts: {
  hostIP: string;
  podIPs: string[];
  ready: boolean;
  containers: WorkloadContainerStatus[];
  phase?: string;
  prev?: any;
}): any {
  const { hostIP, podIPs, ready, containers, prev } = opts;
  return {
    phase: opts.phase ?? "Running",
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP: podIPs[0],
    podIPs: podIPs.map((ip) => ({ ip })),
    startTime: prev?.startTime ?? new Date().toISOString(),
    conditions: keepTransitions(
      [
        condition("PodScheduled", true),
        condition("Initialized", true),
        condition("ContainersReady", ready, ready ? undefined : "ContainersNotReady"),
        condition("Ready", ready, ready ? undefined : "ContainersNotReady"),
      ],
      prev?.conditions,
    ),
    containerStatuses: containers,
  };
}
