/**
 * Seeded random clusters and policies, for property tests (the fast matrix against the
 * per-connection verdicts) and the benchmark (a realistic mix at scale: Deployment-like label
 * sets shared by replicas, namespaces labelled by team and env, policies mixing every peer and
 * port form the API has).
 */
import type { V1LabelSelector, V1NetworkPolicyPeer, V1NetworkPolicyPort } from "@kubernetes/client-node";
import type { NetworkPolicyLike, PolicyNamespace, PolicyPod, PolicyRuleJson } from "../policy/index.js";

export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

export interface RandomClusterOptions {
  namespaces: number;
  podsPerNamespace: number;
  /** Distinct apps per namespace (replicas of one app share labels). */
  appsPerNamespace: number;
  /** Some pods have no IP (pending), to check they are never reachable. */
  pendingRatio?: number;
}

export interface RandomCluster {
  pods: PolicyPod[];
  namespaces: PolicyNamespace[];
}

const TIERS = ["web", "api", "db"];
const TEAMS = ["red", "blue", "green", "gold"];

export function randomCluster(seed: number, o: RandomClusterOptions): RandomCluster {
  const r = rng(seed);
  const namespaces: PolicyNamespace[] = [];
  const pods: PolicyPod[] = [];
  for (let n = 0; n < o.namespaces; n++) {
    const ns = `ns-${n}`;
    namespaces.push({
      name: ns,
      labels: { team: TEAMS[n % TEAMS.length]!, env: n % 3 === 0 ? "prod" : "dev" },
    });
    for (let p = 0; p < o.podsPerNamespace; p++) {
      const app = p % o.appsPerNamespace;
      const ip = `10.${(n >> 8) & 255}.${n & 255}.${p + 2}`;
      const pending = (o.pendingRatio ?? 0) > 0 && r() < o.pendingRatio!;
      pods.push({
        namespace: ns,
        name: `app-${app}-${p}`,
        labels: {
          app: `app-${app}`,
          tier: TIERS[app % TIERS.length]!,
          ...(app % 4 === 0 ? { canary: "true" } : {}),
        },
        ips: pending ? [] : [ip],
        namedPorts: [
          { name: "http", port: 80 + (app % 2), protocol: "TCP" },
          { name: "metrics", port: 9090, protocol: "TCP" },
          { name: "dns", port: 53, protocol: "UDP" },
        ],
        node: `node-${p % 4}`,
      });
    }
  }
  return { pods, namespaces };
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function podSelector(r: () => number, apps: number): V1LabelSelector {
  const x = r();
  if (x < 0.15) return {};
  if (x < 0.55) return { matchLabels: { app: `app-${Math.floor(r() * apps)}` } };
  if (x < 0.75) return { matchLabels: { tier: pick(r, TIERS) } };
  if (x < 0.9) return { matchExpressions: [{ key: "tier", operator: "NotIn", values: [pick(r, TIERS)] }] };
  return { matchExpressions: [{ key: "canary", operator: pick(r, ["Exists", "DoesNotExist"]) }] };
}

function namespaceSelector(r: () => number, namespaces: number): V1LabelSelector {
  const x = r();
  if (x < 0.2) return {};
  if (x < 0.5) return { matchLabels: { team: pick(r, TEAMS) } };
  if (x < 0.7) return { matchLabels: { env: pick(r, ["prod", "dev"]) } };
  return { matchLabels: { "kubernetes.io/metadata.name": `ns-${Math.floor(r() * namespaces)}` } };
}

function peer(r: () => number, c: RandomClusterOptions): V1NetworkPolicyPeer {
  const x = r();
  if (x < 0.35) return { podSelector: podSelector(r, c.appsPerNamespace) };
  if (x < 0.6) return { namespaceSelector: namespaceSelector(r, c.namespaces) };
  if (x < 0.85)
    return {
      namespaceSelector: namespaceSelector(r, c.namespaces),
      podSelector: podSelector(r, c.appsPerNamespace),
    };
  const n = Math.floor(r() * c.namespaces);
  return {
    ipBlock: { cidr: `10.${(n >> 8) & 255}.0.0/16`, except: [`10.${(n >> 8) & 255}.${n & 255}.0/28`] },
  };
}

function port(r: () => number): V1NetworkPolicyPort {
  const x = r();
  if (x < 0.35) return { protocol: "TCP", port: 80 };
  if (x < 0.5) return { protocol: "TCP", port: 79, endPort: 81 };
  if (x < 0.65) return { port: "http" };
  if (x < 0.75) return { protocol: "UDP", port: "dns" };
  if (x < 0.85) return { protocol: "UDP" };
  return { protocol: "TCP", port: 9090 };
}

function rules(r: () => number, c: RandomClusterOptions, dir: "from" | "to"): PolicyRuleJson[] {
  const count = Math.floor(r() * 3);
  return Array.from({ length: count }, () => {
    const rule: PolicyRuleJson = {};
    if (r() < 0.85) rule[dir] = Array.from({ length: 1 + Math.floor(r() * 2) }, () => peer(r, c));
    if (r() < 0.7) rule.ports = Array.from({ length: 1 + Math.floor(r() * 2) }, () => port(r));
    return rule;
  });
}

/** A random valid policy of namespace ns-<k>, named `name`. */
export function randomPolicy(r: () => number, c: RandomClusterOptions, name: string): NetworkPolicyLike {
  const ns = `ns-${Math.floor(r() * c.namespaces)}`;
  const types = pick(r, [["Ingress"], ["Egress"], ["Ingress", "Egress"], undefined]);
  const spec: NetworkPolicyLike["spec"] = { podSelector: podSelector(r, c.appsPerNamespace) };
  if (types) spec.policyTypes = types;
  if (!types || types.includes("Ingress")) spec.ingress = rules(r, c, "from");
  if (!types || types.includes("Egress")) spec.egress = rules(r, c, "to");
  return { metadata: { namespace: ns, name }, spec };
}
