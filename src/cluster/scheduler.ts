/**
 * Pod scheduling for the lab: `spec.nodeName` is honoured; otherwise the pod goes to the
 * schedulable node with the fewest pods (spread, ties broken by name for determinism), as
 * kube-scheduler's spreading would place identical pods. A node whose podCIDR has no room
 * left is not a candidate: the pod stays Pending with the reason, the rest run.
 */
export interface NodeCapacity {
  name: string;
  /** Pod addresses the node's podCIDR can still hand out. */
  free: number;
  pods: number;
  ready: boolean;
}

export type ScheduleResult = { node: string } | { pending: string };

export function schedulePod(requestedNode: string | undefined, nodes: NodeCapacity[]): ScheduleResult {
  if (requestedNode) {
    const n = nodes.find((x) => x.name === requestedNode);
    if (!n) return { pending: `node "${requestedNode}" (spec.nodeName) does not exist` };
    if (n.free <= 0) return { pending: `node "${requestedNode}" has no free pod address in its podCIDR` };
    return { node: n.name };
  }
  const candidates = nodes.filter((n) => n.ready && n.free > 0);
  if (candidates.length === 0) {
    return {
      pending:
        nodes.length === 0
          ? "no nodes available to schedule pods"
          : `0/${nodes.length} nodes are available: no free pod address in any node's podCIDR`,
    };
  }
  candidates.sort((a, b) => a.pods - b.pods || a.name.localeCompare(b.name));
  return { node: candidates[0]!.name };
}
