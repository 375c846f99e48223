/**
 * `trace`: the fate of one connection, hop by hop, from the same model the datapath is built
 * from: the pod's own routes (on-link podCIDR via the bridge, else default via the gateway),
 * egress policy on the source node, the node's route lookup over the backend's desired()
 * routes (VXLAN to a peer's VTEP via neighbour and FDB entries, or a direct route to a peer's
 * node IP for host-gw), ingress policy on the destination node, and whether anything listens.
 *
 * Hops are a flat list of {node, stage, detail}. To a Service (by name or ClusterIP), a
 * "service" hop follows "source": the endpoints the source node's proxy DNATs to, with their
 * probability and each one's verdict (service-endpoints.ts), then the path to the first
 * endpoint (DNAT happens in the source node's prerouting, so policy and routing see the
 * backend, and a same-node backend is routed by the node, not bridged).
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
import { serviceEndpoints } from "./service-endpoints.js";
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
  /** Service hop: where the proxy sends the connection, and what happens there. */
  endpoints?: Array<{
    ip: string;
    port: number;
    pod?: string;
    node?: string;
    probability: number;
    verdict: TraceVerdict;
    reason: string;
  }>;
}

export interface Trace {
  verdict: TraceVerdict;
  hops: Hop[];
  reason: string;
}

/** A pod, an address, or a Service (index into the snapshot's services). */
export type TraceTarget = { pod: number } | { ip: string } | { service: number };

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
    /** The connection; after a Service's DNAT, to the chosen endpoint. */
    public q: TraceQuery,
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
  if ("service" in q.target) return traceService(t, srcNode, srcIp, q.target.service);
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

  const local = lookupRoute(t.routingOf(srcNode), dstIp)?.dev === POD_BRIDGE;
  t.hop(
    srcNode.name,
    "source",
    `${src.key} (${srcIp}) sends ${what} to ${dstName} from eth0: ${
      local ? `${dstIp} is on-link (${srcNode.podCIDR} dev eth0)` : `default via ${gatewayOf(srcNode)}`
    }`,
  );
  return toDestination(t, srcNode, dstIp, dstPod, false);
}

function gatewayOf(node: NodeNetInfo): string {
  const podCidr = parseCidr(node.podCIDR);
  return `${formatIp(podCidr.family, nthAddress(podCidr, 1))} (${POD_BRIDGE} on ${node.name})`;
}

/**
 * From the source node on: egress policy, the bridge or the node's route, ingress policy and
 * delivery. `routed`: the node routes the packet (after a Service's DNAT) even to a local pod.
 */
function toDestination(
  t: Tracer,
  srcNode: NodeNetInfo,
  dstIp: string,
  dstPod: number | undefined,
  routed: boolean,
): Trace {
  const { snap, q } = t;
  const what = `${q.protocol}/${q.port}`;
  const src = snap.pods[q.src]!;
  const dst = dstPod === undefined ? undefined : snap.pods[dstPod]!;
  const dstName = dst ? `${dst.key} (${dstIp})` : dstIp;
  if (dstPod === q.src) {
    // Through a Service back to itself (hairpin): the node sends it back to the pod's own port.
    t.hop(
      srcNode.name,
      "route",
      `${srcNode.podCIDR} dev ${POD_BRIDGE}: back to ${src.key}'s own veth (hairpin)`,
    );
    return deliver(t, srcNode.name, dstPod, what);
  }
  const local = lookupRoute(t.routingOf(srcNode), dstIp)?.dev === POD_BRIDGE;
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
  if (local && routed) {
    t.hop(
      srcNode.name,
      "route",
      `${srcNode.podCIDR} dev ${POD_BRIDGE} (this node's pods): to ${dstName}'s veth`,
    );
  } else if (local) {
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

/** To a Service: the proxy's choice on the source node, then the path to the first endpoint. */
function traceService(t: Tracer, srcNode: NodeNetInfo, srcIp: string, index: number): Trace {
  const { snap, q } = t;
  const what = `${q.protocol}/${q.port}`;
  const src = snap.pods[q.src]!;
  const svc = snap.services[index]!;
  const key = `${svc.metadata.namespace ?? "default"}/${svc.metadata.name}`;
  const choice = serviceEndpoints(snap, svc, q.port, q.protocol, srcNode.name);
  const vip =
    choice.kind === "port" && choice.clusterIP
      ? `${choice.clusterIP}:${q.port}`
      : `its ClusterIP, port ${q.port}`;
  t.hop(
    srcNode.name,
    "source",
    `${src.key} (${srcIp}) sends ${what} to Service ${key} (${vip}) from eth0: default via ${gatewayOf(srcNode)}`,
  );
  if (choice.kind === "no-port") {
    return t.end(
      "unroutable",
      `Service ${key} has no port ${what} (it has ${choice.ports.join(", ") || "none"})`,
    );
  }
  if (choice.endpoints.length === 0) {
    const reject = choice.verdict !== "drop";
    const where = reject ? "" : ` on ${srcNode.name} (internalTrafficPolicy Local)`;
    t.hop(
      srcNode.name,
      "service",
      `flatnet-proxy on ${srcNode.name}: Service ${key} has no ready endpoint for ${what}${where}: ${
        reject ? "new connections are rejected (ICMP port unreachable)" : "new connections are dropped"
      }`,
    );
    return t.end(reject ? "rejected" : "dropped", `Service ${key} has no endpoint for ${what}${where}`);
  }
  const follow = (ep: (typeof choice.endpoints)[number], tracer: Tracer): Trace => {
    tracer.q = {
      ...q,
      port: ep.port,
      target: ep.pod !== undefined ? { pod: ep.pod } : { ip: ep.ip },
    };
    const dst = ep.pod === undefined ? undefined : snap.pods[ep.pod]!;
    return toDestination(tracer, srcNode, dst?.ips[0] ?? ep.ip, ep.pod, true);
  };
  const endpoints = choice.endpoints.map((ep) => {
    const r = follow(ep, new Tracer(snap, q));
    const out: NonNullable<Hop["endpoints"]>[number] = {
      ip: ep.ip,
      port: ep.port,
      probability: ep.probability,
      verdict: r.verdict,
      reason: r.reason,
    };
    if (ep.pod !== undefined) out.pod = snap.pods[ep.pod]!.key;
    if (ep.node) out.node = ep.node;
    return out;
  });
  const n = endpoints.length;
  const delivered = endpoints.filter((e) => e.verdict === "delivered").length;
  const list = endpoints.map((e) => `${e.ip}:${e.port}${e.pod ? ` (${e.pod})` : ""} ${e.verdict}`).join(", ");
  t.hops.push({
    node: srcNode.name,
    stage: "service",
    detail: `flatnet-proxy on ${srcNode.name} DNATs ${vip} to one of ${n} endpoint${n > 1 ? "s" : ""}${
      n > 1 ? `, 1/${n} each` : ""
    }: ${list}; ${delivered} of ${n} deliver; following ${endpoints[0]!.pod ?? endpoints[0]!.ip}`,
    endpoints,
  });
  return follow(choice.endpoints[0]!, t);
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
