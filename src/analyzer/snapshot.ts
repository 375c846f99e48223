/**
 * A cluster as the analyzer sees it, from manifests alone: the Cluster config (nodes,
 * networking, backend), Deployments expanded into their Pods, every pod placed with its IP
 * (placement.ts), namespaces with their labels, NetworkPolicies, and the policy model
 * compiled from them. No lab, no root. The same snapshot can be taken of a running cluster's
 * objects (snapshotFromCluster), so `trace` explains the live lab with the same code.
 */
import {
  type Backend,
  type ClusterConfig,
  expandWorkloads,
  isNamespace,
  isNetworkPolicy,
  isNode,
  isPod,
  isService,
  type LoadedObject,
  loadManifests,
  type NetworkPolicy,
  resolveClusterConfig,
  type Service,
} from "../api/index.js";
import type { NodeNetInfo } from "../model/podnet.js";
import { PodUniverse, PolicyModel, policyNamespace, policyPod, statusIps } from "../policy/index.js";
import { LAB_UNDERLAY_SUBNET, type PlacedPod, placePods } from "./placement.js";

export interface ClusterSnapshot {
  config: ClusterConfig;
  nodes: NodeNetInfo[];
  /** Every pod (Deployments' included), in (namespace, name) order: the universe's order. */
  pods: PlacedPod[];
  policies: NetworkPolicy[];
  /** Services, so `trace` can tell a Service name from a missing pod. */
  services: Service[];
  model: PolicyModel;
}

/** Manifests as a fresh lab would run them (placement.ts decides nodes and IPs). */
export function snapshotFromObjects(objects: readonly LoadedObject[]): ClusterSnapshot {
  const all = expandWorkloads(objects);
  const config = resolveClusterConfig(all);
  const placement = placePods(config, all.filter(isPod));
  return assemble(config, placement.nodes, placement.pods, all);
}

/**
 * A running cluster's objects as they are (the live lab's store): nodes with their podCIDR
 * and InternalIP, pods with their status IPs and nodes.
 */
export function snapshotFromCluster(
  objects: readonly LoadedObject[],
  backend: Backend,
  mtu = 1500,
): ClusterSnapshot {
  const base = resolveClusterConfig([]);
  const nodes = objects.filter(isNode).flatMap((n) => {
    const nodeIP = n.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
    const podCIDR = n.spec?.podCIDR;
    return nodeIP && podCIDR
      ? [{ name: n.metadata.name, nodeIP, podCIDR, underlaySubnet: LAB_UNDERLAY_SUBNET }]
      : [];
  });
  const config: ClusterConfig = {
    ...base,
    nodes: nodes.map((n) => ({ name: n.name, role: "worker", labels: {} })),
    networking: { ...base.networking, backend, mtu },
  };
  const pods = objects.filter(isPod).map((pod): PlacedPod => {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const ips = statusIps(pod);
    const placed: PlacedPod = { pod, key, ips };
    if (pod.spec.nodeName) placed.node = pod.spec.nodeName;
    if (!ips.length)
      placed.pending = pod.status?.conditions?.find((c) => c.status === "False")?.message ?? "no IP yet";
    return placed;
  });
  return assemble(config, nodes, pods, objects);
}

function assemble(
  config: ClusterConfig,
  nodes: NodeNetInfo[],
  placed: readonly PlacedPod[],
  objects: readonly LoadedObject[],
): ClusterSnapshot {
  const namespaces = objects.filter(isNamespace).map(policyNamespace);
  const policies = objects.filter(isNetworkPolicy);
  const universe = new PodUniverse(
    placed.map((p) => {
      const pp = policyPod(p.pod, p.ips);
      if (p.node) pp.node = p.node;
      return pp;
    }),
    namespaces,
  );
  const byKey = new Map(placed.map((p) => [p.key, p]));
  const pods = universe.pods.map((_, i) => byKey.get(universe.keyOf(i))!);
  const model = new PolicyModel(universe, policies);
  return { config, nodes, pods, policies, services: objects.filter(isService), model };
}

export async function loadSnapshot(paths: readonly string[]): Promise<ClusterSnapshot> {
  return snapshotFromObjects(await loadManifests(paths));
}
