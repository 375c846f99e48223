/**
 * flatnet's own `Cluster` config, modelled on kind's: a lab name, its nodes, and how the pod
 * network is laid out. Written in YAML beside ordinary manifests:
 *
 *   apiVersion: flatnet.dev/v1alpha1
 *   kind: Cluster
 *   name: demo                       # lab name (default "lab")
 *   nodes:                           # default: two workers node-1, node-2
 *     - name: node-1                 # default node-<position>, skipping names already taken
 *       role: control-plane          # control-plane | worker (default worker; both run pods)
 *       labels: { zone: a }
 *   networking:
 *     podSubnet: 10.244.0.0/16       # one /nodeCIDRMaskSize per node
 *     serviceSubnet: 10.96.0.0/12
 *     nodeCIDRMaskSize: 24
 *     backend: vxlan                 # vxlan | host-gw
 *     mtu: 1500                      # underlay MTU (vxlan devices get mtu - 50)
 *     nodePortRange: 30000-32767
 *     dnsDomain: cluster.local
 *     upstreamDNS: [1.1.1.1]         # default: none given (the DNS add-on decides)
 *
 * `resolveClusterConfig` merges the file (if any) with CLI flags (which win) and defaults.
 */
import { UserError } from "../util/errors.js";
import {
  BACKENDS,
  type Backend,
  CLUSTER_API_VERSION,
  CLUSTER_DEFAULTS,
  defaultNodeName,
  type NodeRole,
  parsePortRange,
} from "./cluster-defaults.js";
import { formatFieldError } from "./errors.js";
import type { LoadedObject } from "./types.js";
import { validateClusterConfigObject } from "./validate/cluster.js";
import { FieldErrors } from "./validate/field.js";
import { dns1123Label } from "./validate/names.js";

export { BACKENDS, type Backend, NODE_ROLES, type NodeRole } from "./cluster-defaults.js";

export interface ClusterNodeSpec {
  name?: string;
  role?: NodeRole;
  labels?: Record<string, string>;
}

export interface ClusterNetworkingSpec {
  podSubnet?: string;
  serviceSubnet?: string;
  nodeCIDRMaskSize?: number;
  backend?: Backend;
  mtu?: number;
  nodePortRange?: string;
  dnsDomain?: string;
  upstreamDNS?: string[];
}

/** The Cluster document as written. */
export interface ClusterConfigObject {
  apiVersion: typeof CLUSTER_API_VERSION;
  kind: "Cluster";
  name?: string;
  nodes?: ClusterNodeSpec[];
  networking?: ClusterNetworkingSpec;
}

export interface ClusterNode {
  name: string;
  role: NodeRole;
  labels: Record<string, string>;
}

/** The effective configuration: every field filled in. */
export interface ClusterConfig {
  name: string;
  nodes: ClusterNode[];
  networking: {
    podSubnet: string;
    serviceSubnet: string;
    nodeCIDRMaskSize: number;
    backend: Backend;
    mtu: number;
    nodePortRange: { min: number; max: number };
    dnsDomain: string;
    /** Empty when not configured. */
    upstreamDNS: string[];
  };
}

/** What CLI flags can override: `--name`, `--nodes N`, `--backend`. */
export interface ClusterOverrides {
  name?: string;
  nodes?: number;
  backend?: string;
}

export function defaultClusterConfig(): ClusterConfig {
  return resolveClusterConfig([], {});
}

/**
 * The effective config from the loaded objects' Cluster document (at most one; the loader has
 * validated it) and CLI overrides. `--nodes N` keeps the first N nodes the file lists and adds
 * generated ones after them. Throws a UserError naming the flag when an override is invalid.
 */
export function resolveClusterConfig(
  objects: readonly LoadedObject[],
  overrides: ClusterOverrides = {},
): ClusterConfig {
  const docs = objects.filter((o) => o.kind === "Cluster");
  if (docs.length > 1) {
    throw new UserError(`found ${docs.length} Cluster configs`, "give exactly one kind: Cluster document");
  }
  const doc: ClusterConfigObject = docs[0] ?? { apiVersion: CLUSTER_API_VERSION, kind: "Cluster" };
  checkOverrides(overrides);
  const merged = applyOverrides(doc, overrides);
  const errs = new FieldErrors();
  validateClusterConfigObject(errs, merged as unknown as Record<string, unknown>);
  if (!errs.empty) {
    const flags = describeOverrides(overrides);
    throw new UserError(
      `invalid Cluster config${flags ? ` after ${flags}` : ""}: ${errs.list.map(formatFieldError).join("; ")}`,
      "correct the Cluster document or the command-line flags",
    );
  }
  const net = merged.networking ?? {};
  const pods = net.podSubnet ?? CLUSTER_DEFAULTS.podSubnet;
  return {
    name: merged.name ?? CLUSTER_DEFAULTS.name,
    nodes: resolveNodes(merged.nodes),
    networking: {
      podSubnet: pods,
      serviceSubnet: net.serviceSubnet ?? CLUSTER_DEFAULTS.serviceSubnet,
      nodeCIDRMaskSize:
        net.nodeCIDRMaskSize ??
        (pods.includes(":") ? CLUSTER_DEFAULTS.nodeCIDRMaskSizeV6 : CLUSTER_DEFAULTS.nodeCIDRMaskSize),
      backend: net.backend ?? CLUSTER_DEFAULTS.backend,
      mtu: net.mtu ?? CLUSTER_DEFAULTS.mtu,
      nodePortRange: parsePortRange(net.nodePortRange ?? CLUSTER_DEFAULTS.nodePortRange)!,
      dnsDomain: net.dnsDomain ?? CLUSTER_DEFAULTS.dnsDomain,
      upstreamDNS: [...(net.upstreamDNS ?? [])],
    },
  };
}

function checkOverrides(o: ClusterOverrides): void {
  if (o.name !== undefined) {
    const problems = dns1123Label(o.name);
    if (problems.length)
      throw new UserError(
        `--name ${JSON.stringify(o.name)}: ${problems.join("; ")}`,
        "choose a name like 'demo' or 'lab-2'",
      );
  }
  if (o.nodes !== undefined && (!Number.isInteger(o.nodes) || o.nodes < 1)) {
    throw new UserError(`--nodes ${o.nodes}: must be a whole number of at least 1`, "e.g. --nodes 3");
  }
  if (o.backend !== undefined && !(BACKENDS as readonly string[]).includes(o.backend)) {
    throw new UserError(
      `--backend ${JSON.stringify(o.backend)}: unknown pod-network backend`,
      `use one of: ${BACKENDS.join(", ")}`,
    );
  }
}

function applyOverrides(doc: ClusterConfigObject, o: ClusterOverrides): ClusterConfigObject {
  const merged: ClusterConfigObject = { ...doc };
  if (o.name !== undefined) merged.name = o.name;
  if (o.backend !== undefined) merged.networking = { ...doc.networking, backend: o.backend as Backend };
  if (o.nodes !== undefined) {
    const listed = doc.nodes ?? [];
    merged.nodes = Array.from({ length: o.nodes }, (_, i) => listed[i] ?? {});
  }
  return merged;
}

function describeOverrides(o: ClusterOverrides): string {
  const parts: string[] = [];
  if (o.name !== undefined) parts.push(`--name ${o.name}`);
  if (o.nodes !== undefined) parts.push(`--nodes ${o.nodes}`);
  if (o.backend !== undefined) parts.push(`--backend ${o.backend}`);
  return parts.join(" ");
}

/** Fill in node names (node-<position>, skipping names taken), roles and labels. */
function resolveNodes(specs: ClusterNodeSpec[] | undefined): ClusterNode[] {
  const list: ClusterNodeSpec[] = specs ?? Array.from({ length: CLUSTER_DEFAULTS.nodeCount }, () => ({}));
  const taken = new Set(list.flatMap((n) => (n.name ? [n.name] : [])));
  let next = 1;
  return list.map((spec, i) => {
    let name = spec.name;
    if (!name) {
      next = Math.max(next, i + 1);
      while (taken.has(defaultNodeName(next))) next++;
      name = defaultNodeName(next);
      taken.add(name);
    }
    return { name, role: spec.role ?? CLUSTER_DEFAULTS.nodeRole, labels: { ...(spec.labels ?? {}) } };
  });
}
