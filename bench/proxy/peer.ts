/**
 * The peer: a ruleset with the layout kube-proxy's nftables mode documents (KEP-3866), for
 * the same Services, written here from that description: a `service-ips` verdict map sends
 * each ClusterIP:port to a chain per service port, which masquerades off-cluster clients and
 * picks an endpoint with `numgen random mod N vmap { i : goto <endpoint chain> }`; each
 * endpoint has its own chain (hairpin masquerade mark, then dnat). Base chains and the
 * no-endpoint/cluster-IP checks are included so the kernel validates a comparable graph.
 * One endpoint change is what that layout needs: a new endpoint chain, the service chain
 * rewritten, the old endpoint chain deleted, in one transaction.
 */
import { createHash } from "node:crypto";
import type { SyntheticService } from "./cluster.js";

export const PEER_TABLE = "kube-proxy-peer";

const hash = (s: string) => createHash("sha256").update(s).digest("base64url").slice(0, 8).toUpperCase();

function serviceChain(ns: string, s: SyntheticService): string {
  const id = `${ns}/${s.name}/tcp/http`;
  return `service-${hash(id)}-${id}`;
}

function endpointChain(ns: string, s: SyntheticService, ep: { ip: string; port: number }): string {
  const id = `${ns}/${s.name}/tcp/http__${ep.ip}/${ep.port}`;
  return `endpoint-${hash(id)}-${id}`;
}

const SKELETON = `table ip ${PEER_TABLE} {
  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }
  map service-nodeports { type inet_proto . inet_service : verdict; }
  map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; }
  set cluster-ips { type ipv4_addr; }
  chain mark-for-masquerade {
    meta mark set meta mark | 0x4000
  }
  chain masquerading {
    meta mark & 0x4000 == 0 return
    meta mark set meta mark ^ 0x4000
    masquerade fully-random
  }
  chain services {
    ip daddr . meta l4proto . th dport vmap @service-ips
    fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports
  }
  chain service-endpoints-check {
    ip daddr . meta l4proto . th dport vmap @no-endpoint-services
  }
  chain cluster-ips-check {
    ip daddr @cluster-ips reject
  }
  chain filter-forward {
    type filter hook forward priority -110; policy accept;
    ct state new jump service-endpoints-check
    ct state new jump cluster-ips-check
  }
  chain filter-output {
    type filter hook output priority -110; policy accept;
    ct state new jump service-endpoints-check
  }
  chain nat-prerouting {
    type nat hook prerouting priority -100; policy accept;
    jump services
  }
  chain nat-output {
    type nat hook output priority -100; policy accept;
    jump services
  }
  chain nat-postrouting {
    type nat hook postrouting priority 100; policy accept;
    jump masquerading
  }
}
`;

function serviceRules(ns: string, s: SyntheticService, clusterCIDR: string): string[] {
  const chain = serviceChain(ns, s);
  const vmap = s.endpoints.map((ep, i) => `${i} : goto ${endpointChain(ns, s, ep)}`).join(", ");
  return [
    `add rule ip ${PEER_TABLE} ${chain} ip daddr ${s.clusterIP} tcp dport ${s.port} ip saddr != ${clusterCIDR} jump mark-for-masquerade`,
    `add rule ip ${PEER_TABLE} ${chain} numgen random mod ${s.endpoints.length} vmap { ${vmap} }`,
  ];
}

function endpointLines(ns: string, s: SyntheticService, ep: { ip: string; port: number }): string[] {
  const chain = endpointChain(ns, s, ep);
  return [
    `add chain ip ${PEER_TABLE} ${chain}`,
    `add rule ip ${PEER_TABLE} ${chain} ip saddr ${ep.ip} jump mark-for-masquerade`,
    `add rule ip ${PEER_TABLE} ${chain} meta l4proto tcp dnat to ${ep.ip}:${ep.port}`,
  ];
}

/** The whole ruleset, loaded with one `nft -f`. */
export function peerRuleset(ns: string, services: SyntheticService[], clusterCIDR: string): string {
  const lines = [SKELETON];
  for (const s of services) {
    for (const ep of s.endpoints) lines.push(...endpointLines(ns, s, ep));
    lines.push(`add chain ip ${PEER_TABLE} ${serviceChain(ns, s)}`, ...serviceRules(ns, s, clusterCIDR));
    lines.push(
      `add element ip ${PEER_TABLE} service-ips { ${s.clusterIP} . tcp . ${s.port} : goto ${serviceChain(ns, s)} }`,
      `add element ip ${PEER_TABLE} cluster-ips { ${s.clusterIP} }`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** One endpoint of `before` replaced (same slot) as in `after`: kube-proxy's transaction. */
export function peerEndpointChange(
  ns: string,
  before: SyntheticService,
  after: SyntheticService,
  clusterCIDR: string,
): string {
  const gone = before.endpoints.filter(
    (e) => !after.endpoints.some((a) => a.ip === e.ip && a.port === e.port),
  );
  const added = after.endpoints.filter(
    (a) => !before.endpoints.some((e) => a.ip === e.ip && a.port === e.port),
  );
  const lines: string[] = [];
  for (const ep of added) lines.push(...endpointLines(ns, after, ep));
  lines.push(
    `flush chain ip ${PEER_TABLE} ${serviceChain(ns, after)}`,
    ...serviceRules(ns, after, clusterCIDR),
  );
  for (const ep of gone) lines.push(`delete chain ip ${PEER_TABLE} ${endpointChain(ns, before, ep)}`);
  return `${lines.join("\n")}\n`;
}
