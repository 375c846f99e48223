/**
 * The NetworkPolicy enforcer's nftables table, `inet flatnet-policy`, one per node: a fixed
 * skeleton of four chains whose per-pod and per-policy state is carried entirely by set and
 * map elements, so a packet costs a fixed number of hash lookups whatever the number of pods
 * and policies, and a policy change is a transaction of element adds and deletes.
 *
 * Where it hooks, and why there:
 *  - `forward` (priority filter): after the service proxy's DNAT (nat prerouting), so a
 *    connection to a ClusterIP or NodePort is judged on the real backend, as Kubernetes
 *    requires. Routed traffic (pod to another node, another node to a local pod, anything
 *    through a Service) passes here. Bridged traffic between two pods on the same node's
 *    `cni0` passes here too, through br_netfilter (`net.bridge.bridge-nf-call-iptables`, set
 *    per node namespace by node-policy.ts), and with conntrack. That is the reason for this
 *    choice over the `bridge` or `netdev` families: this kernel has no nf_conntrack_bridge
 *    (CONFIG_NF_CONNTRACK_BRIDGE is not set) and netdev hooks see packets before conntrack, so
 *    neither could accept replies by `ct state established`; br_netfilter is what kube-proxy
 *    already needs on a bridge CNI (replies from a same-node backend to a Service client).
 *  - `input` (priority filter): a local pod's connections to its own node (egress only).
 *  - Not `output`: the node's own connections to its pods are always allowed, as Kubernetes
 *    defines it (kubelet probes), so they are never judged.
 *
 * The packet path, for a new connection (replies: `ct state established,related accept`):
 *   forward: a pod to itself (through a Service, hairpin)  -> accept (@self)
 *            source is an egress-isolated local pod        -> jump egress
 *            destination is an ingress-isolated local pod  -> jump ingress
 *   egress:  ct mark := identity of the destination address (@peer-cidr-ids, an interval map
 *            over the whole IPv4 space, then @peer-pod-ids, exact, for pods); then one lookup
 *            per kind of allow set (below): allowed -> return, else drop
 *   ingress: the same with the source's identity; allowed -> accept, else drop
 *
 * An identity (identities.ts) is a class of addresses no rule of this node tells apart: pods
 * with the same peer memberships (and, for egress, the same named-port numbers), address
 * ranges cut by ipBlocks. Allow sets, per direction, are keyed by the isolated pod's address:
 *   <dir>-peer        pod . identity                      (rule without ports)
 *   <dir>-peer-proto  pod . identity . protocol           (a port entry without a port)
 *   <dir>-peer-port   pod . identity . protocol . port    (a port, or a named port resolved)
 *   <dir>-any*        the same without identity           (rule without from/to: every peer)
 *   <dir>-*-range     port ranges (endPort): interval sets, consulted last
 * The identity rides in the connection's ct mark (the packet mark belongs to the proxy's
 * masquerade bit); the enforcer owns ct mark. IPv4 only, as the lab: IPv6 packets pass.
 * Pure: text only.
 */

export const POLICY_TABLE = "flatnet-policy";
export const POLICY_FAMILY = "inet";

export type Dir = "ingress" | "egress";
export const DIRECTIONS: readonly Dir[] = ["ingress", "egress"];

/** The allow-set kinds, in the order a chain consults them (interval sets last). */
export const ALLOW_KINDS = [
  "peer",
  "peer-proto",
  "peer-port",
  "any",
  "any-proto",
  "any-port",
  "peer-range",
  "any-range",
] as const;
export type AllowKind = (typeof ALLOW_KINDS)[number];

export const PEER_CIDR_IDS = "peer-cidr-ids";
export const PEER_POD_IDS = "peer-pod-ids";
export const SELF = "self";
/** One element: the store resourceVersion the table reflects (tests and tools wait on it). */
export const SYNCED = "synced";

export const isolatedSet = (d: Dir) => `${d}-isolated`;
export const allowSet = (d: Dir, k: AllowKind) => `${d}-${k}`;

export interface Declaration {
  kind: "set" | "map";
  body: string;
}

function allowBody(k: AllowKind): string {
  const fields = ["ipv4_addr"];
  if (k.startsWith("peer")) fields.push("mark");
  if (k !== "peer" && k !== "any") fields.push("inet_proto");
  if (k.endsWith("-port") || k.endsWith("-range")) fields.push("inet_service");
  return `type ${fields.join(" . ")}${k.endsWith("-range") ? "; flags interval" : ""}`;
}

/** Every set and map of the table, by name. */
export const DECLARATIONS: ReadonlyMap<string, Declaration> = new Map<string, Declaration>([
  [PEER_CIDR_IDS, { kind: "map", body: "type ipv4_addr : mark; flags interval" }],
  [PEER_POD_IDS, { kind: "map", body: "type ipv4_addr : mark" }],
  [SELF, { kind: "set", body: "type ipv4_addr . ipv4_addr" }],
  [SYNCED, { kind: "set", body: "type mark" }],
  ...DIRECTIONS.flatMap(
    (d): Array<[string, Declaration]> => [
      [isolatedSet(d), { kind: "set", body: "type ipv4_addr" }],
      ...ALLOW_KINDS.map((k): [string, Declaration] => [allowSet(d, k), { kind: "set", body: allowBody(k) }]),
    ],
  ),
]);

/** The packet fields an allow set of a kind is looked up with. */
export function allowLookup(d: Dir, k: AllowKind): string {
  const subject = d === "ingress" ? "ip daddr" : "ip saddr";
  const fields = [subject];
  if (k.startsWith("peer")) fields.push("ct mark");
  if (k !== "peer" && k !== "any") fields.push("meta l4proto");
  if (k.endsWith("-port") || k.endsWith("-range")) fields.push("th dport");
  return fields.join(" . ");
}

export interface ChainSpec {
  name: string;
  hook?: string;
  rules: string[];
}

function directionChain(d: Dir): ChainSpec {
  const peer = d === "ingress" ? "ip saddr" : "ip daddr";
  const allowed = d === "ingress" ? "accept" : "return";
  return {
    name: d,
    rules: [
      `ct mark set ${peer} map @${PEER_CIDR_IDS}`,
      `ct mark set ${peer} map @${PEER_POD_IDS}`,
      ...ALLOW_KINDS.map((k) => `${allowLookup(d, k)} @${allowSet(d, k)} ${allowed}`),
      "drop",
    ],
  };
}

/** The chains, regular ones first (base chains jump to them). */
export function chains(): ChainSpec[] {
  return [
    directionChain("egress"),
    directionChain("ingress"),
    {
      name: "forward",
      hook: "type filter hook forward priority filter; policy accept;",
      rules: [
        "ct state established,related accept",
        `ip saddr . ip daddr @${SELF} accept`,
        `ip saddr @${isolatedSet("egress")} jump egress`,
        `ip daddr @${isolatedSet("ingress")} jump ingress`,
      ],
    },
    {
      name: "input",
      hook: "type filter hook input priority filter; policy accept;",
      rules: ["ct state established,related accept", `ip saddr @${isolatedSet("egress")} jump egress`],
    },
  ];
}
