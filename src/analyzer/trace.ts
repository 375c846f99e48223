/**
 * `trace`: the fate of one connection, hop by hop, from the same model the datapath is built
 * from: the pod's own routes (on-link podCIDR via the bridge, else default via the gateway),
 * egress policy on the source node, the node's route lookup over the backend's desired()
 * routes (VXLAN to a peer's VTEP via neighbour and FDB entries, or a direct route to a peer's
 * node IP for host-gw), ingress policy on the destination node, and whether anything listens.
 *
 * Hops are a flat list of {node, stage, detail}; a Service's DNAT will slot in as a "service"
 * hop right after "source" (kube-proxy-style DNAT happens in the source node's prerouting, so
 * policy and routing then see the chosen backend).
 */

import { VXLAN_PORT, VXLAN_VNI } from "../backends/vxlan.js";
import { formatIp, nthAddress, parseCidr } from "../ipam/cidr.js";
import { POD_BRIDGE } from "../lab/cni-config.js";
import type { NodeNetInfo } from "../model/podnet.js";
import {
  type Direction,
  type DirectionVerdict,
  describeVerdict,
  directionVerdict,
  type Endpoint,
  type Protocol,
  type RuleRef,
} from "../policy/index.js";
import { LAB_UNDERLAY_SUBNET } from "./placement.js";
import {
  formatRoute,
  lookupRoute,
  type NodeRoute,
  type NodeRouting,
  nodeRouting,
  UNDERLAY_DEV,
} from "./routes.js";
import { builtinServes, listensOn } from "./serving.js";
import type { ClusterSnapshot } from "./snapshot.js";

export type TraceVerdict = "delivered" | "dropped" | "rejected" | "unroutable";

export type HopStage =
  | "source"
  | "loopback"
  | "service"
  | "egress-policy"
  | "bridge"
  | "route"
  | "encap"
  | "decap"
  | "forward"
  | "ingress-policy"
  | "deliver";

export interface Hop {
  node: string;
  stage: HopStage;
  detail: string;
  /** Policy hops: the rules that allowed, or the policies that isolate when none did. */
  allowedBy?: RuleRef[];
  isolatedBy?: string[];
}

export interface Trace {
  verdict: TraceVerdict;
  hops: Hop[];
  reason: string;
}

export type TraceTarget = { pod: number } | { ip: string };

export interface TraceQuery {
  src: number;
  target: TraceTarget;
  port: number;
  protocol: Protocol;
}

class Tracer {
  readonly hops: Hop[] = [];
  private readonly routing = new Map<string, NodeRouting>();

  constructor(
    readonly snap: ClusterSnapshot,
    readonly q: TraceQuery,
  ) {}

  hop(node: string, stage: HopStage, detail: string): void {
    this.hops.push({ node, stage, detail });
  }

  end(verdict: TraceVerdict, reason: string): Trace {
    return { verdict, hops: this.hops, reason };
  }

  routingOf(node: NodeNetInfo): NodeRouting {
    let r = this.routing.get(node.name);
    if (!r) {
      const { backend, mtu } = this.snap.config.networking;
      r = nodeRouting(backend, node, this.snap.nodes, mtu);
      this.routing.set(node.name, r);
    }
    return r;
  }

  policy(node: string, direction: Direction, subject: number, peer: Endpoint): DirectionVerdict {
    const { port, protocol } = this.q;
    const v = directionVerdict(this.snap.model, direction, subject, peer, port, protocol);
    const hop: Hop = {
      node,
      stage: direction === "egress" ? "egress-policy" : "ingress-policy",
      detail: describeVerdict(v, this.snap.pods[subject]!.key),
    };
    if (v.allowedBy.length) hop.allowedBy = v.allowedBy;
    if (v.isolatedBy.length) hop.isolatedBy = v.isolatedBy;
    this.hops.push(hop);
    return v;
  }
}

function nodeNamed(snap: ClusterSnapshot, name: string | undefined): NodeNetInfo | undefined {
  return snap.nodes.find((n) => n.name === name);
}

function externalClientIp(): string {
  const ul = parseCidr(LAB_UNDERLAY_SUBNET);
  return formatIp(ul.family, nthAddress(ul, -2));
}

export function traceConnection(snap: ClusterSnapshot, q: TraceQuery): Trace {
  const t = new Tracer(snap, q);
  const { port, protocol } = q;
  const what = `${protocol}/${port}`;
  const src = snap.pods[q.src]!;
  const srcNode = nodeNamed(snap, src.node);
  if (!src.ips.length || !srcNode) {
    return t.end(
      "unroutable",
      `${src.key} does not run${src.pending ? `: ${src.pending}` : " on any node of the cluster"}`,
    );
  }
  const srcIp = src.ips[0]!;
  const dstPod = "pod" in q.target ? q.target.pod : snap.model.universe.podByIp(q.target.ip);
  const dst = dstPod === undefined ? undefined : snap.pods[dstPod]!;
  if (dst && !dst.ips.length) {
    return t.end("unroutable", `${dst.key} has no IP: ${dst.pending ?? "it does not run"}`);
  }
  const dstIp = dst ? dst.ips[0]! : (q.target as { ip: string }).ip;
  const dstName = dst ? `${dst.key} (${dstIp})` : dstIp;

  if (dstPod === q.src) {
    t.hop(
      srcNode.name,
      "loopback",
      `${src.key} to its own address ${dstIp}: delivered on lo inside the pod, NetworkPolicy does not apply`,
    );
    return deliver(t, srcNode.name, dstPod, what);
  }

  const podCidr = parseCidr(srcNode.podCIDR);
  const gateway = formatIp(podCidr.family, nthAddress(podCidr, 1));
  const local = lookupRoute(t.routingOf(srcNode), dstIp)?.dev === POD_BRIDGE;
  t.hop(
    srcNode.name,
    "source",
    `${src.key} (${srcIp}) sends ${what} to ${dstName} from eth0: ${
      local
        ? `${dstIp} is on-link (${srcNode.podCIDR} dev eth0)`
        : `default via ${gateway} (${POD_BRIDGE} on ${srcNode.name})`
    }`,
  );
  const peer: Endpoint = dstPod !== undefined ? { pod: dstPod } : { ip: dstIp };
  const egress = t.policy(srcNode.name, "egress", q.src, peer);
  if (!egress.allowed) return t.end("dropped", denial(egress, src.key, `${what} to ${dstName}`));

  let dstNode: NodeNetInfo = srcNode;
  if (dstIp === srcNode.nodeIP) {
    t.hop(
      srcNode.name,
      "deliver",
      `${dstIp} is ${srcNode.name}'s own address: its host network namespace receives it`,
    );
    return t.end("delivered", `${dstIp} is node ${srcNode.name}, where ${src.key} runs`);
  }
  if (local) {
    t.hop(
      srcNode.name,
      "bridge",
      `${POD_BRIDGE} on ${srcNode.name} switches the frame to ${dstIp}'s veth (same node, no routing)`,
    );
  } else {
    const route = lookupRoute(t.routingOf(srcNode), dstIp);
    const next = route && forward(t, srcNode, route, dstIp);
    if (!next) return t.end("unroutable", `${srcNode.name} has no route to ${dstIp}`);
    if ("end" in next) return next.end;
    dstNode = next.node;
  }
  if (dstPod === undefined) {
    return t.end("unroutable", `no pod on ${dstNode.name} has ${dstIp}: ARP on ${POD_BRIDGE} gets no answer`);
  }
  const ingress = t.policy(dstNode.name, "ingress", dstPod, { pod: q.src });
  if (!ingress.allowed) return t.end("dropped", denial(ingress, dst!.key, `${what} from ${src.key}`));
  return deliver(t, dstNode.name, dstPod, what);
}

/**
 * Follow a node's route towards a pod subnet of another node (or the underlay). Returns the
 * node that then owns the packet, or a finished trace.
 */
function forward(
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

/** "x/b's ingress is isolated by x/deny-all; no rule allows TCP/80 from x/a" */
function denial(v: DirectionVerdict, pod: string, what: string): string {
  const plural = v.isolatedBy.length > 1 ? "policies" : "policy";
  return `${pod}'s ${v.direction} is isolated by ${plural} ${v.isolatedBy.join(", ")}; no rule allows ${what}`;
}

function deliver(t: Tracer, node: string, pod: number, what: string): Trace {
  const p = t.snap.pods[pod]!;
  const { port, protocol } = t.q;
  if (!listensOn(p.pod, port, protocol)) {
    const answer =
      protocol === "TCP" ? "a TCP reset" : protocol === "UDP" ? "ICMP port unreachable" : "an ABORT";
    t.hop(node, "deliver", `nothing listens on ${what} in ${p.key}: its kernel answers with ${answer}`);
    return t.end("rejected", `nothing listens on ${what} in ${p.key}`);
  }
  const server = builtinServes(p.pod, port, protocol) ? "the built-in server" : "its container";
  t.hop(node, "deliver", `${p.key} (${p.ips[0]}) eth0: ${server} accepts ${what}`);
  return t.end("delivered", `${p.key} accepts ${what}`);
}
