/**
 * A cluster as the analyzer sees it, from manifests alone: the Cluster config (nodes,
 * networking, backend), Deployments expanded into their Pods, every pod placed with its IP
 * (placement.ts), namespaces with their labels, NetworkPolicies, and the policy model
 * compiled from them. No lab, no root.
 */
import {
  type ClusterConfig,
  expandWorkloads,
  isNamespace,
  isNetworkPolicy,
  isPod,
  type LoadedObject,
  loadManifests,
  type NetworkPolicy,
  resolveClusterConfig,
} from "../api/index.js";
import type { NodeNetInfo } from "../model/podnet.js";
import { PodUniverse, PolicyModel, policyNamespace, policyPod } from "../policy/index.js";
import { type PlacedPod, placePods } from "./placement.js";

export interface ClusterSnapshot {
  config: ClusterConfig;
  nodes: NodeNetInfo[];
  /** Every pod (Deployments' included), in (namespace, name) order: the universe's order. */
  pods: PlacedPod[];
  policies: NetworkPolicy[];
  model: PolicyModel;
}

export function snapshotFromObjects(objects: readonly LoadedObject[]): ClusterSnapshot {
  const all = expandWorkloads(objects);
  const config = resolveClusterConfig(all);
  const placement = placePods(config, all.filter(isPod));
  const namespaces = all.filter(isNamespace).map(policyNamespace);
  const policies = all.filter(isNetworkPolicy);
  const universe = new PodUniverse(
    placement.pods.map((p) => {
      const pp = policyPod(p.pod, p.ips);
      if (p.node) pp.node = p.node;
      return pp;
    }),
    namespaces,
  );
  const byKey = new Map(placement.pods.map((p) => [p.key, p]));
  const pods = universe.pods.map((_, i) => byKey.get(universe.keyOf(i))!);
  return { config, nodes: placement.nodes, pods, policies, model: new PolicyModel(universe, policies) };
}

export async function loadSnapshot(paths: readonly string[]): Promise<ClusterSnapshot> {
  return snapshotFromObjects(await loadManifests(paths));
}
