/**
 * Service defaults as the API server applies them: type ClusterIP, port protocol TCP,
 * targetPort = port, sessionAffinity None (ClientIP gets a 10800 s timeout), traffic policies
 * (external only where node ports exist), single-stack IP families (IPv6 when the requested
 * clusterIP is IPv6), and allocateLoadBalancerNodePorts for LoadBalancers.
 */
import { isRecord, type Json } from "../validate/field.js";

const CLIENT_IP_TIMEOUT = 10800;

function absent(v: unknown): boolean {
  return v === undefined || v === null || v === "";
}

export function defaultServiceSpec(spec: Json): void {
  if (absent(spec.type)) spec.type = "ClusterIP";
  const type = spec.type;
  if (Array.isArray(spec.ports)) {
    for (const p of spec.ports) {
      if (!isRecord(p)) continue;
      if (absent(p.protocol)) p.protocol = "TCP";
      // targetPort = port; not from an invalid port, which validation reports once, on `port`.
      const portOk = typeof p.port === "number" && Number.isInteger(p.port) && p.port >= 1 && p.port <= 65535;
      if ((absent(p.targetPort) || p.targetPort === 0) && portOk) p.targetPort = p.port;
    }
  }
  if (absent(spec.sessionAffinity)) spec.sessionAffinity = "None";
  if (spec.sessionAffinity === "ClientIP") {
    const cfg = isRecord(spec.sessionAffinityConfig) ? spec.sessionAffinityConfig : {};
    const clientIP = isRecord(cfg.clientIP) ? cfg.clientIP : {};
    if (absent(clientIP.timeoutSeconds)) clientIP.timeoutSeconds = CLIENT_IP_TIMEOUT;
    cfg.clientIP = clientIP;
    spec.sessionAffinityConfig = cfg;
  }
  if (type === "ExternalName") return;
  if ((type === "NodePort" || type === "LoadBalancer") && absent(spec.externalTrafficPolicy)) {
    spec.externalTrafficPolicy = "Cluster";
  }
  if (type === "LoadBalancer" && absent(spec.allocateLoadBalancerNodePorts))
    spec.allocateLoadBalancerNodePorts = true;
  if (absent(spec.internalTrafficPolicy)) spec.internalTrafficPolicy = "Cluster";
  if (!Array.isArray(spec.ipFamilies) || spec.ipFamilies.length === 0) {
    const requested = typeof spec.clusterIP === "string" ? spec.clusterIP : "";
    spec.ipFamilies = [requested.includes(":") ? "IPv6" : "IPv4"];
  }
  if (absent(spec.ipFamilyPolicy)) spec.ipFamilyPolicy = "SingleStack";
}
