/**
 * The service proxy's nftables table: a fixed skeleton of base chains and a few shared chains,
 * with all per-Service state carried by map and set elements, so a commit costs the same
 * whether 10 or 10,000 Services are loaded (kube-proxy's chain per service and per endpoint is
 * what makes its commits slow). The packet path, in the node's namespace:
 *
 *  filter-prerouting / filter-output (priority dstnat-10), new connections only:
 *    endpoints-check: daddr.proto.dport in @no-endpoint-services -> reject (ICMP port
 *    unreachable: ECONNREFUSED at once) or drop; same for NodePorts on local addresses.
 *  nat-prerouting / nat-output (priority dstnat) -> services:
 *    daddr . l4proto . dport vmap @service-ips        -> goto cluster-ip-N
 *    local daddr (not 127/8)            -> node-ports -> goto node-port-N
 *  cluster-ip-N / node-port-N, one chain per endpoint count N in use (not per Service):
 *    ClientIP affinity first: saddr . daddr . proto . dport map @affinity (a dynamic map);
 *    else dnat to (daddr . dport | dport) . numgen random mod N map @*-endpoints-<proto>,
 *    a plain data map from service and slot to endpoint address . port.
 *  nat-postrouting (priority srcnat):
 *    new connections to affinity Services jump affinity-T, which records client -> endpoint
 *    in @affinity with timeout T; masquerade when marked (NodePort with
 *    externalTrafficPolicy Cluster, ClusterIP from outside the cluster CIDR) or hairpin
 *    (saddr . daddr in @hairpin: a pod reaching itself through its Service).
 *
 * Maps with endpoint data are per protocol because nft 1.0.6 cannot re-read a `typeof` data
 * part mixing `ip` and `th` fields from the kernel. Pure: text only.
 */

export const PROXY_TABLE = "flatnet-proxy";
/** The packet mark bit that asks for masquerade (kube-proxy uses the same bit). */
export const DEFAULT_MASQUERADE_MARK = 0x4000;

export interface RulesetConfig {
  table: string;
  /** Pod network: traffic from outside it to a ClusterIP is masqueraded. */
  clusterCIDR: string;
  /** ClusterIP range: tells NodePort connections from ClusterIP ones after DNAT. */
  serviceCIDR: string;
  masqueradeMark: number;
}

export const PROTOCOLS = ["tcp", "udp"] as const;
export type NftProto = (typeof PROTOCOLS)[number];

/** Map and set declarations, by name. The affinity map holds live state and is never flushed. */
export const DECLARATIONS: Record<string, { kind: "map" | "set"; body: string }> = {
  "service-ips": { kind: "map", body: "type ipv4_addr . inet_proto . inet_service : verdict" },
  "service-nodeports": { kind: "map", body: "type inet_proto . inet_service : verdict" },
  "cluster-endpoints-tcp": {
    kind: "map",
    body: "typeof ip daddr . tcp dport . numgen random mod 1 : ip daddr . tcp dport",
  },
  "cluster-endpoints-udp": {
    kind: "map",
    body: "typeof ip daddr . udp dport . numgen random mod 1 : ip daddr . udp dport",
  },
  "nodeport-endpoints-tcp": {
    kind: "map",
    body: "typeof tcp dport . numgen random mod 1 : ip daddr . tcp dport",
  },
  "nodeport-endpoints-udp": {
    kind: "map",
    body: "typeof udp dport . numgen random mod 1 : ip daddr . udp dport",
  },
  "nodeports-masquerade": { kind: "set", body: "type inet_proto . inet_service" },
  "no-endpoint-services": { kind: "map", body: "type ipv4_addr . inet_proto . inet_service : verdict" },
  "no-endpoint-nodeports": { kind: "map", body: "type inet_proto . inet_service : verdict" },
  "affinity-services": { kind: "map", body: "type ipv4_addr . inet_proto . inet_service : verdict" },
  "affinity-nodeports": { kind: "map", body: "type inet_proto . inet_service : verdict" },
  hairpin: { kind: "set", body: "type ipv4_addr . ipv4_addr" },
  affinity: {
    kind: "map",
    body: "type ipv4_addr . ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; flags dynamic,timeout; size 262144",
  },
};

/** Sets whose elements come from Services (all but the live affinity map). */
export const STATIC_ELEMENT_SETS = Object.keys(DECLARATIONS).filter((n) => n !== "affinity");
export const AFFINITY_MAP = "affinity";

export interface ChainSpec {
  name: string;
  /** Base chain header, e.g. "type nat hook prerouting priority dstnat; policy accept;". */
  hook?: string;
  rules: string[];
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** The fixed chains: the same text whatever the Services. */
export function staticChains(c: RulesetConfig): ChainSpec[] {
  const mark = hex(c.masqueradeMark);
  const clear = hex(~c.masqueradeMark >>> 0);
  const affinityDispatch = PROTOCOLS.flatMap((p) => [
    `ct status dnat meta l4proto ${p} ct original ip daddr . meta l4proto . ct original proto-dst vmap @affinity-services`,
    `ct status dnat meta l4proto ${p} ct original ip daddr != ${c.serviceCIDR} meta l4proto . ct original proto-dst vmap @affinity-nodeports`,
  ]);
  return [
    { name: "reject-packet", rules: ["reject"] },
    {
      name: "endpoints-check",
      rules: [
        "ip daddr . meta l4proto . th dport vmap @no-endpoint-services",
        "fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports",
      ],
    },
    {
      name: "filter-prerouting",
      hook: "type filter hook prerouting priority dstnat - 10; policy accept;",
      rules: ["ct state new jump endpoints-check"],
    },
    {
      name: "filter-output",
      hook: "type filter hook output priority -110; policy accept;",
      rules: ["ct state new jump endpoints-check"],
    },
    {
      name: "services",
      rules: [
        "ip daddr . meta l4proto . th dport vmap @service-ips",
        "fib daddr type local ip daddr != 127.0.0.0/8 jump node-ports",
      ],
    },
    {
      name: "node-ports",
      rules: [
        `meta l4proto . th dport @nodeports-masquerade meta mark set meta mark | ${mark}`,
        "meta l4proto . th dport vmap @service-nodeports",
      ],
    },
    {
      name: "nat-prerouting",
      hook: "type nat hook prerouting priority dstnat; policy accept;",
      rules: ["jump services"],
    },
    {
      name: "nat-output",
      hook: "type nat hook output priority -100; policy accept;",
      rules: ["jump services"],
    },
    {
      name: "nat-postrouting",
      hook: "type nat hook postrouting priority srcnat; policy accept;",
      rules: [
        ...affinityDispatch,
        `meta mark & ${mark} == ${mark} meta mark set meta mark & ${clear} masquerade`,
        "ct status dnat ip saddr . ip daddr @hairpin masquerade",
      ],
    },
  ];
}

export const STATIC_CHAIN_NAMES = new Set(
  staticChains({ table: "", clusterCIDR: "0.0.0.0/0", serviceCIDR: "0.0.0.0/0", masqueradeMark: 1 }).map(
    (ch) => ch.name,
  ),
);

const AFFINITY_LOOKUP = "dnat ip to ip saddr . ip daddr . meta l4proto . th dport map @affinity";

/** Rules of a chain made on demand (cluster-ip-N, node-port-N, affinity-T); undefined otherwise. */
export function dynamicChainRules(name: string, c: RulesetConfig): string[] | undefined {
  let m = /^cluster-ip-([1-9][0-9]*)$/.exec(name);
  if (m) {
    return [
      `ip saddr != ${c.clusterCIDR} meta mark set meta mark | ${hex(c.masqueradeMark)}`,
      AFFINITY_LOOKUP,
      ...PROTOCOLS.map(
        (p) =>
          `meta l4proto ${p} dnat ip to ip daddr . ${p} dport . numgen random mod ${m![1]} map @cluster-endpoints-${p}`,
      ),
    ];
  }
  m = /^node-port-([1-9][0-9]*)$/.exec(name);
  if (m) {
    return [
      AFFINITY_LOOKUP,
      ...PROTOCOLS.map(
        (p) =>
          `meta l4proto ${p} dnat ip to ${p} dport . numgen random mod ${m![1]} map @nodeport-endpoints-${p}`,
      ),
    ];
  }
  m = /^affinity-([1-9][0-9]*)$/.exec(name);
  if (m) {
    return PROTOCOLS.map(
      (p) =>
        `meta l4proto ${p} update @affinity { ip saddr . ct original ip daddr . meta l4proto . ct original proto-dst timeout ${m![1]}s : ip daddr . ${p} dport }`,
    );
  }
  return undefined;
}

/** The chain a verdict element's value jumps to, if it is a dynamic one. */
export function dynamicChainOf(value: string | undefined): string | undefined {
  // Most values are endpoint data ("10.244.1.2 . 8080"): only verdicts start with a letter.
  const c = value?.charCodeAt(0) ?? 0;
  if (c !== 103 /* g */ && c !== 106 /* j */) return undefined;
  const m = /^(?:goto|jump) (\S+)$/.exec(value!);
  return m && !STATIC_CHAIN_NAMES.has(m[1]!) ? m[1] : undefined;
}
