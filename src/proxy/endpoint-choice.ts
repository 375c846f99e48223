/**
 * Which endpoints a node sends a service port's traffic to, with kube-proxy's documented rules:
 *  - usable endpoints are the ready ones; when there are none, the serving-terminating ones
 *    (so a rolling update never turns into a refusal), decided separately for the cluster-wide
 *    and the node-local set;
 *  - ClusterIP traffic uses the local set with internalTrafficPolicy Local, else the cluster
 *    set; NodePort traffic likewise with externalTrafficPolicy;
 *  - no usable endpoint at all: reject (clients get ECONNREFUSED at once); a Local policy with
 *    endpoints elsewhere but none here: drop (this node does not serve it).
 * Pure.
 */
import type { EndpointInfo, ServicePortInfo } from "./service-view.js";

export type NoEndpointVerdict = "reject" | "drop";

export interface TrafficChoice {
  endpoints: EndpointInfo[];
  /** Set when `endpoints` is empty: what happens to new connections. */
  verdict?: NoEndpointVerdict;
}

export interface PortChoice {
  /** Traffic to clusterIP:port. */
  internal: TrafficChoice;
  /** Traffic to <node IP>:nodePort (only when the port has a nodePort). */
  external?: TrafficChoice;
}

/** Ready endpoints, else serving-terminating ones. */
export function usable(endpoints: EndpointInfo[]): EndpointInfo[] {
  const ready = endpoints.filter((e) => e.ready);
  if (ready.length > 0) return ready;
  return endpoints.filter((e) => e.serving && e.terminating);
}

function choose(local: boolean, cluster: EndpointInfo[], here: EndpointInfo[]): TrafficChoice {
  const endpoints = local ? here : cluster;
  if (endpoints.length > 0) return { endpoints };
  return { endpoints, verdict: cluster.length === 0 ? "reject" : "drop" };
}

export function choosePortEndpoints(info: ServicePortInfo, node: string): PortChoice {
  const cluster = usable(info.endpoints);
  const here = usable(info.endpoints.filter((e) => e.nodeName === node));
  const out: PortChoice = { internal: choose(info.internalLocal, cluster, here) };
  if (info.nodePort !== undefined) out.external = choose(info.externalLocal, cluster, here);
  return out;
}
