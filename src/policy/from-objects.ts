/**
 * PolicyPod / PolicyNamespace from Kubernetes objects: labels, named container ports
 * (init containers' ports included, as the API allows them to be named too), the pod's IPs
 * (status.podIPs, else status.podIP, unless the caller knows better) and its node.
 */
import type { V1Namespace, V1Pod } from "@kubernetes/client-node";
import type { NamedPort, PolicyNamespace, PolicyPod, Protocol } from "./types.js";

/** The pod's IPs from its status (podIPs first, else podIP). */
export function statusIps(pod: V1Pod): string[] {
  const many = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (many.length) return many;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}

export function namedPortsOf(pod: V1Pod): NamedPort[] {
  const out: NamedPort[] = [];
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const p of c.ports ?? []) {
      if (!p.name) continue;
      if (out.some((q) => q.name === p.name)) continue;
      out.push({
        name: p.name,
        port: p.containerPort,
        protocol: (p.protocol ?? "TCP").toUpperCase() as Protocol,
      });
    }
  }
  return out;
}

export function policyPod(pod: V1Pod, ips: readonly string[] = statusIps(pod)): PolicyPod {
  const out: PolicyPod = {
    namespace: pod.metadata?.namespace || "default",
    name: pod.metadata?.name ?? "",
    labels: { ...(pod.metadata?.labels ?? {}) },
    ips: [...ips],
    namedPorts: namedPortsOf(pod),
  };
  if (pod.spec?.nodeName) out.node = pod.spec.nodeName;
  return out;
}

export function policyNamespace(ns: V1Namespace): PolicyNamespace {
  return { name: ns.metadata?.name ?? "", labels: { ...(ns.metadata?.labels ?? {}) } };
}
