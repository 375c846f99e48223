/**
 * A node's IPv4 routing table as the lab builds it, for `trace`: the connected routes of its
 * pod bridge (podCIDR dev cni0) and underlay (underlay subnet dev eth0), plus exactly the
 * routes, neighbours and FDB entries the pod-network backend's pure desired() computes for
 * the node — the same function the node agent applies to the kernel. Lookup is longest prefix
 * match; there is no default route (lab nodes have none).
 */
import { getBackend } from "../backends/index.js";
import { type Cidr, cidrContains, parseCidr, parseIp } from "../ipam/cidr.js";
import { POD_BRIDGE } from "../lab/cni-config.js";
import type { NodeNetInfo, NodePodNetwork, RouteSpec } from "../model/podnet.js";

export const UNDERLAY_DEV = "eth0";

export interface NodeRoute {
  dst: string;
  cidr: Cidr;
  dev: string;
  via?: string;
  onlink?: boolean;
  /** "connected" for a device's own subnet, else the backend that installed it. */
  origin: string;
}

export interface NodeRouting {
  node: NodeNetInfo;
  network: NodePodNetwork;
  routes: NodeRoute[];
}

export function nodeRouting(
  backend: string,
  self: NodeNetInfo,
  nodes: readonly NodeNetInfo[],
  mtu = 1500,
): NodeRouting {
  const network = getBackend(backend).desired(self, [...nodes], {
    underlayMTU: mtu,
    underlayDev: UNDERLAY_DEV,
  });
  const routes: NodeRoute[] = [
    { dst: self.podCIDR, cidr: parseCidr(self.podCIDR), dev: POD_BRIDGE, origin: "connected" },
  ];
  if (self.underlaySubnet) {
    routes.push({
      dst: self.underlaySubnet,
      cidr: parseCidr(self.underlaySubnet),
      dev: UNDERLAY_DEV,
      origin: "connected",
    });
  }
  for (const r of network.routes) routes.push(fromSpec(r, network.backend));
  return { node: self, network, routes };
}

function fromSpec(r: RouteSpec, backend: string): NodeRoute {
  return { dst: r.dst, cidr: parseCidr(r.dst), dev: r.dev, via: r.via, onlink: r.onlink, origin: backend };
}

/** The most specific route to `ip`, or undefined. */
export function lookupRoute(routing: NodeRouting, ip: string): NodeRoute | undefined {
  const addr = parseIp(ip);
  let best: NodeRoute | undefined;
  for (const r of routing.routes) {
    if (cidrContains(r.cidr, addr) && (!best || r.cidr.prefix > best.cidr.prefix)) best = r;
  }
  return best;
}

/** `ip route` style text: "10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink". */
export function formatRoute(r: NodeRoute): string {
  return `${r.dst}${r.via ? ` via ${r.via}` : ""} dev ${r.dev}${r.onlink ? " onlink" : ""}`;
}
