/**
 * Where pods would run and which IPs they would get if the manifests were applied to a fresh
 * lab, computed offline the way the lab does it:
 *  - nodes from the Cluster config (default: node-1, node-2), in order; each gets the lowest
 *    free podCIDR block (kube-controller-manager's range allocator, NodeCidrAllocator) and
 *    the next underlay address from .2 (as the lab daemon plugs nodes in);
 *  - pods bound by spec.nodeName stay there; the others go through the lab's scheduler
 *    (cluster/scheduler.ts) in the control plane's order (object key order);
 *  - each node hands out pod IPs as host-local does on a fresh range: .2, .3, ... of its
 *    podCIDR (.1 is the bridge gateway), in that same order.
 * A Pod that gives status.podIP keeps it (and runs on the node whose podCIDR holds it unless
 * spec.nodeName says otherwise); its address is not handed out again.
 *
 * The lab allocates concurrently, so on a running lab IPs can come out in another order;
 * give status.podIP (e.g. `flatnet get pods -A -o json` output) to analyze exact addresses.
 */
import type { Pod } from "../api/index.js";
import { type ClusterConfig, objectKey } from "../api/index.js";
import { type NodeCapacity, schedulePod } from "../cluster/scheduler.js";
import {
  type Cidr,
  cidrContains,
  cidrSize,
  formatCidr,
  formatIp,
  nthAddress,
  parseCidr,
  parseIp,
} from "../ipam/cidr.js";
import { NodeCidrAllocator } from "../ipam/node-cidrs.js";
import type { NodeNetInfo } from "../model/podnet.js";
import { statusIps } from "../policy/index.js";

/** The lab's underlay (kind's node network), as `flatnet up` creates it. */
export const LAB_UNDERLAY_SUBNET = "172.18.0.0/16";

export interface PlacedPod {
  pod: Pod;
  /** "namespace/name" */
  key: string;
  node?: string;
  ips: string[];
  /** Why the pod would not run (unschedulable, no address), when it would not. */
  pending?: string;
}

export interface Placement {
  nodes: NodeNetInfo[];
  pods: PlacedPod[];
}

function lowestFree(cidr: Cidr, taken: Set<string>): string | undefined {
  const size = Number(cidrSize(cidr));
  // network (.0), gateway (.1) and broadcast (last) are never pod addresses
  for (let i = 2; i < size - 1; i++) {
    const ip = formatIp(cidr.family, nthAddress(cidr, i));
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}

export function placeNodes(config: ClusterConfig): NodeNetInfo[] {
  const cidrs = new NodeCidrAllocator(config.networking.podSubnet, config.networking.nodeCIDRMaskSize);
  const underlay = parseCidr(LAB_UNDERLAY_SUBNET);
  return config.nodes.map((n, i) => ({
    name: n.name,
    nodeIP: formatIp(underlay.family, nthAddress(underlay, i + 2)),
    podCIDR: formatCidr(cidrs.allocate(n.name)),
    underlaySubnet: LAB_UNDERLAY_SUBNET,
  }));
}

export function placePods(config: ClusterConfig, pods: readonly Pod[]): Placement {
  const nodes = placeNodes(config);
  const cidrOf = new Map(nodes.map((n) => [n.name, parseCidr(n.podCIDR)]));
  const nodeOfIp = (ip: string) => nodes.find((n) => cidrContains(cidrOf.get(n.name)!, parseIp(ip)))?.name;
  const ordered = [...pods].sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
  const out = new Map<Pod, PlacedPod>();
  const taken = new Map(nodes.map((n) => [n.name, new Set<string>()]));
  const bound = new Map<Pod, string>();
  for (const pod of ordered) {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const ips = statusIps(pod);
    const node = pod.spec.nodeName || (ips[0] ? nodeOfIp(ips[0]) : undefined);
    if (node && !cidrOf.has(node)) {
      out.set(pod, { pod, key, ips, pending: `node "${node}" (spec.nodeName) does not exist` });
      continue;
    }
    if (ips.length) {
      out.set(pod, node ? { pod, key, node, ips } : { pod, key, ips });
      if (node) for (const ip of ips) taken.get(node)!.add(ip);
    }
    if (node) bound.set(pod, node);
  }
  const capacity: NodeCapacity[] = nodes.map((n) => {
    const assigned = [...bound.values()].filter((b) => b === n.name).length;
    const size = Number(cidrSize(cidrOf.get(n.name)!));
    return { name: n.name, free: Math.max(0, size - 3 - assigned), pods: assigned, ready: true };
  });
  for (const pod of ordered) {
    if (out.has(pod) && !bound.has(pod)) continue;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    let node = bound.get(pod);
    if (!node) {
      const r = schedulePod(undefined, capacity);
      if ("pending" in r) {
        out.set(pod, { pod, key, ips: [], pending: r.pending });
        continue;
      }
      node = r.node;
      const c = capacity.find((x) => x.name === node)!;
      c.free--;
      c.pods++;
    }
    if (out.has(pod)) continue; // bound with its own status.podIP
    const ip = lowestFree(cidrOf.get(node)!, taken.get(node)!);
    if (ip === undefined) {
      out.set(pod, { pod, key, node, ips: [], pending: `node ${node} has no free address in its podCIDR` });
      continue;
    }
    taken.get(node)!.add(ip);
    out.set(pod, { pod, key, node, ips: [ip] });
  }
  return { nodes, pods: ordered.map((p) => out.get(p)!) };
}
