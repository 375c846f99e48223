/**
 * `trace`: the fate of one connection, hop by hop, from the same model the datapath is built
 * from: the pod's own routes (on-link podCIDR via the bridge, else default via the gateway),
 * egress policy on the source node, the node's route lookup over the backend's desired()
 * routes (VXLAN to a peer's VTEP via neighbour and FDB entries, or a direct route to a peer's
 * node IP for host-gw), ingress policy on the destination node, and whether anything listens.
 *
 * Hops are a flat list of {node, stage, detail}. To a Service (by name or ClusterIP), a
 * "service" hop follows "source": the endpoints the source node's proxy DNATs to, with their
 * probability and each one's verdict, then the path to the first endpoint (DNAT happens in
 * the source node's prerouting, so policy and routing see the backend, and a same-node
 * backend is routed by the node, not bridged). This file: the contract's types and the
 * start (source and loopback); trace-path.ts the path from the source node on (routes in
 * trace-route.ts); trace-service.ts the Service stage.
 */

import { POD_BRIDGE } from "../lab/cni-config.js";
import type { Protocol, RuleRef } from "../policy/index.js";
import { lookupRoute } from "./routes.js";
import type { ClusterSnapshot } from "./snapshot.js";
import { deliver, gatewayOf, nodeNamed, Tracer, toDestination } from "./trace-path.js";
import { traceService } from "./trace-service.js";

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
