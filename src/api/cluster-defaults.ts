/**
 * Defaults and accepted values of flatnet's Cluster config (src/api/cluster-config.ts), in
 * their own module so the validator and the resolver share them without importing each other.
 * The address plan follows kubeadm/kind (DESIGN.md section 3).
 */

export const CLUSTER_API_VERSION = "flatnet.dev/v1alpha1";

export const BACKENDS = ["vxlan", "host-gw"] as const;
export type Backend = (typeof BACKENDS)[number];

export const NODE_ROLES = ["control-plane", "worker"] as const;
export type NodeRole = (typeof NODE_ROLES)[number];

export const CLUSTER_DEFAULTS = {
  /** Lab name: namespaces are `flatnet-lab-...` unless the config or --name says otherwise. */
  name: "lab",
  nodeCount: 2,
  nodeRole: "worker" as NodeRole,
  podSubnet: "10.244.0.0/16",
  serviceSubnet: "10.96.0.0/12",
  nodeCIDRMaskSize: 24,
  nodeCIDRMaskSizeV6: 64,
  backend: "vxlan" as Backend,
  mtu: 1500,
  nodePortRange: "30000-32767",
  dnsDomain: "cluster.local",
};

/** Underlay MTU bounds: IPv6's minimum link MTU up to common jumbo frames. */
export const MTU_RANGE = { min: 1280, max: 9000 };

/** Default node names: node-1, node-2, ... */
export function defaultNodeName(n: number): string {
  return `node-${n}`;
}

/** The fields a Cluster config may have (anything else is a typo we report). */
export const CLUSTER_FIELDS = ["apiVersion", "kind", "name", "nodes", "networking"];
export const CLUSTER_NODE_FIELDS = ["name", "role", "labels"];
export const CLUSTER_NETWORKING_FIELDS = [
  "podSubnet",
  "serviceSubnet",
  "nodeCIDRMaskSize",
  "backend",
  "mtu",
  "nodePortRange",
  "dnsDomain",
  "upstreamDNS",
];

/** Parse "30000-32767"; undefined when malformed. */
export function parsePortRange(text: string): { min: number; max: number } | undefined {
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(text);
  if (!m) return undefined;
  return { min: Number(m[1]), max: Number(m[2]) };
}
