/**
 * Following a node's route in a trace: towards another node's pod subnet over the backend
 * (VXLAN to the peer's VTEP through its neighbour and FDB entries, or a direct host-gw route
 * via the peer's node IP), or onto the underlay (a node, the lab's external client, nobody).
 */
import { VXLAN_PORT, VXLAN_VNI } from "../backends/vxlan.js";
import { formatIp, nthAddress, parseCidr } from "../ipam/cidr.js";
import { POD_BRIDGE } from "../lab/cni-config.js";
import type { NodeNetInfo } from "../model/podnet.js";
import { LAB_UNDERLAY_SUBNET } from "./placement.js";
import { formatRoute, type NodeRoute, UNDERLAY_DEV } from "./routes.js";
import type { Trace } from "./trace.js";
import type { Tracer } from "./trace-path.js";

function externalClientIp(): string {
  const ul = parseCidr(LAB_UNDERLAY_SUBNET);
  return formatIp(ul.family, nthAddress(ul, -2));
}

/**
 * Follow a node's route towards a pod subnet of another node (or the underlay). Returns the
 * node that then owns the packet, or a finished trace.
 */
export function forward(
  t: Tracer,
  self: NodeNetInfo,
  route: NodeRoute,
  dstIp: string,
): { node: NodeNetInfo } | { end: Trace } | undefined {
  const snap = t.snap;
  const routing = t.routingOf(self);
  if (route.origin === "connected") {
    // The underlay subnet: a node, the external client, or nobody.
    t.hop(self.name, "route", `${formatRoute(route)} (underlay)`);
    const node = snap.nodes.find((n) => n.nodeIP === dstIp);
    if (node) {
      t.hop(
        node.name,
        "deliver",
        `${node.name}'s host network namespace receives it on eth0 (what listens on nodes is outside the model)`,
      );
      return { end: t.end("delivered", `${dstIp} is node ${node.name}`) };
    }
    if (dstIp === externalClientIp()) {
      t.hop("external", "deliver", `the external client (${dstIp}) on the underlay receives it`);
      return { end: t.end("delivered", `${dstIp} is the lab's external client`) };
    }
    return { end: t.end("unroutable", `no host on the underlay has ${dstIp}: ARP on eth0 gets no answer`) };
  }
  let peer: NodeNetInfo | undefined;
  if (route.dev === UNDERLAY_DEV) {
    peer = snap.nodes.find((n) => n.nodeIP === route.via);
    t.hop(
      self.name,
      "route",
      `${formatRoute(route)} (${route.origin}): to ${peer?.name ?? route.via} unencapsulated`,
    );
    if (!peer) return undefined;
    t.hop(
      peer.name,
      "forward",
      `${peer.name} receives it on eth0 and routes ${peer.podCIDR} dev ${POD_BRIDGE}`,
    );
    return { node: peer };
  }
  const neigh = routing.network.neighbours.find((n) => n.dev === route.dev && n.ip === route.via);
  const fdb = neigh && routing.network.fdb.find((f) => f.dev === route.dev && f.mac === neigh.lladdr);
  peer = fdb && snap.nodes.find((n) => n.nodeIP === fdb.dst);
  t.hop(self.name, "route", `${formatRoute(route)} (${route.origin})`);
  if (!neigh || !fdb || !peer) return undefined;
  const link = routing.network.links.find((l) => l.name === route.dev);
  t.hop(
    self.name,
    "encap",
    `VXLAN VNI ${link?.vni ?? VXLAN_VNI} UDP ${link?.port ?? VXLAN_PORT} to ${peer.name}: neighbour ${neigh.ip} lladdr ${neigh.lladdr}, fdb ${fdb.mac} dst ${fdb.dst}; outer ${self.nodeIP} -> ${fdb.dst} on eth0 (MTU ${link?.mtu ?? "?"})`,
  );
  t.hop(
    peer.name,
    "decap",
    `${route.dev} on ${peer.name} decapsulates it and routes ${peer.podCIDR} dev ${POD_BRIDGE}`,
  );
  return { node: peer };
}
