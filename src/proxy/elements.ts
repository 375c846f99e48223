/**
 * desired(service, node) -> the map and set elements that program it on that node. This is
 * the whole per-Service state of the proxy: the chains never change with Services (beyond one
 * chain per endpoint count and per affinity timeout in use, which the index derives from the
 * elements). Elements are plain text as nft reads them, so the same values drive the
 * renderer, the fake kernel and the tests. Pure.
 */
import { choosePortEndpoints, type NoEndpointVerdict } from "./endpoint-choice.js";
import type { EndpointInfo, ServicePortInfo } from "./service-view.js";

export interface Element {
  set: string;
  key: string;
  /** Map data ("goto cluster-ip-3", "10.244.1.2 . 8080"); absent for set elements. */
  value?: string;
}

const verdictText = (v: NoEndpointVerdict) => (v === "reject" ? "goto reject-packet" : "drop");

function endpointValue(e: EndpointInfo): string {
  return `${e.ip} . ${e.port}`;
}

/** Elements for one service port as seen from `node`. */
export function portElements(info: ServicePortInfo, node: string): Element[] {
  const proto = info.protocol === "UDP" ? "udp" : "tcp";
  const vipKey = `${info.clusterIP} . ${proto} . ${info.port}`;
  const choice = choosePortEndpoints(info, node);
  const out: Element[] = [];
  const internal = choice.internal;
  if (internal.endpoints.length > 0) {
    out.push({ set: "service-ips", key: vipKey, value: `goto cluster-ip-${internal.endpoints.length}` });
    internal.endpoints.forEach((e, slot) => {
      out.push({
        set: `cluster-endpoints-${proto}`,
        key: `${info.clusterIP} . ${info.port} . ${slot}`,
        value: endpointValue(e),
      });
    });
  } else {
    out.push({ set: "no-endpoint-services", key: vipKey, value: verdictText(internal.verdict ?? "reject") });
  }
  const external = choice.external;
  if (info.nodePort !== undefined && external) {
    const npKey = `${proto} . ${info.nodePort}`;
    if (external.endpoints.length > 0) {
      out.push({
        set: "service-nodeports",
        key: npKey,
        value: `goto node-port-${external.endpoints.length}`,
      });
      external.endpoints.forEach((e, slot) => {
        out.push({
          set: `nodeport-endpoints-${proto}`,
          key: `${info.nodePort} . ${slot}`,
          value: endpointValue(e),
        });
      });
    } else {
      out.push({
        set: "no-endpoint-nodeports",
        key: npKey,
        value: verdictText(external.verdict ?? "reject"),
      });
    }
    if (!info.externalLocal) out.push({ set: "nodeports-masquerade", key: npKey });
    if (info.affinityTimeout !== undefined) {
      out.push({ set: "affinity-nodeports", key: npKey, value: `jump affinity-${info.affinityTimeout}` });
    }
  }
  if (info.affinityTimeout !== undefined) {
    out.push({ set: "affinity-services", key: vipKey, value: `jump affinity-${info.affinityTimeout}` });
  }
  const hairpin = new Set<string>();
  for (const e of info.endpoints) {
    if (e.nodeName !== node || hairpin.has(e.ip)) continue;
    hairpin.add(e.ip);
    out.push({ set: "hairpin", key: `${e.ip} . ${e.ip}` });
  }
  return out;
}

/** Elements for all ports of a service, without duplicates (hairpin pairs repeat across ports). */
export function serviceElements(ports: ServicePortInfo[], node: string): Element[] {
  if (ports.length === 1) return portElements(ports[0]!, node);
  const seen = new Set<string>();
  const out: Element[] = [];
  for (const info of ports) {
    for (const el of portElements(info, node)) {
      const id = `${el.set}\u0000${el.key}`;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push(el);
    }
  }
  return out;
}
