/**
 * The path of a traced connection from the source node on: the Tracer that collects hops and
 * judges policy with the model, egress policy, the bridge or the node's route (trace-route.ts),
 * ingress policy and delivery (does anything listen). Shared by pod, address and Service
 * targets (trace.ts, trace-service.ts).
 */
import { formatIp, nthAddress, parseCidr } from "../ipam/cidr.js";
import { POD_BRIDGE } from "../lab/cni-config.js";
import type { NodeNetInfo } from "../model/podnet.js";
import {
  type Direction,
  type DirectionVerdict,
  describeVerdict,
  directionVerdict,
  type Endpoint,
} from "../policy/index.js";
import { lookupRoute, type NodeRouting, nodeRouting } from "./routes.js";
import { builtinServes, listensOn } from "./serving.js";
import type { ClusterSnapshot } from "./snapshot.js";
import type { Hop, HopStage, Trace, TraceQuery, TraceVerdict } from "./trace.js";
import { forward } from "./trace-route.js";

export class Tracer {
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

export function nodeNamed(snap: ClusterSnapshot, name: string | undefined): NodeNetInfo | undefined {
  return snap.nodes.find((n) => n.name === name);
}

export function gatewayOf(node: NodeNetInfo): string {
  const podCidr = parseCidr(node.podCIDR);
  return `${formatIp(podCidr.family, nthAddress(podCidr, 1))} (${POD_BRIDGE} on ${node.name})`;
}

/**
 * From the source node on: egress policy, the bridge or the node's route, ingress policy and
 * delivery. `routed`: the node routes the packet (after a Service's DNAT) even to a local pod.
 */
export function toDestination(
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

/** "x/b's ingress is isolated by x/deny-all; no rule allows TCP/80 from x/a" */
function denial(v: DirectionVerdict, pod: string, what: string): string {
  const plural = v.isolatedBy.length > 1 ? "policies" : "policy";
  return `${pod}'s ${v.direction} is isolated by ${plural} ${v.isolatedBy.join(", ")}; no rule allows ${what}`;
}

export function deliver(t: Tracer, node: string, pod: number, what: string): Trace {
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
