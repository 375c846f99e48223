/**
 * The Service stage of a trace: the endpoints the source node's proxy DNATs the connection to
 * (service-endpoints.ts), each with probability 1/N and its own verdict, as a "service" hop
 * after "source"; then the path to the first endpoint, routed by the node (DNAT happens in its
 * prerouting, so policy and routing see the backend).
 */
import type { NodeNetInfo } from "../model/podnet.js";
import { serviceEndpoints } from "./service-endpoints.js";
import type { Hop, Trace } from "./trace.js";
import { gatewayOf, Tracer, toDestination } from "./trace-path.js";

export /** To a Service: the proxy's choice on the source node, then the path to the first endpoint. */
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
