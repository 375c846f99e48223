/**
 * ClientIP affinity entries live in one dynamic map written by the packet path:
 *   client . dialed address . proto . port -> endpoint address . port   (timeout per Service)
 * An entry must not outlive the endpoint it names, nor the Service's affinity: after a sync
 * that changed such Services (and after every full sync), entries whose Service no longer
 * has affinity, or whose endpoint is no longer among the Service's endpoints, are deleted.
 * The dialed address is a ClusterIP, or any local address for a NodePort. Pure.
 */
import type { MapElement } from "./nft.js";

export interface AffinityTargets {
  /** "vip . proto . port" -> "ip . port" endpoints, for Services with affinity. */
  services: Map<string, Set<string>>;
  /** "proto . nodePort" -> endpoints, for NodePorts of Services with affinity. */
  nodePorts: Map<string, Set<string>>;
}

interface ElementLike {
  set: string;
  key: string;
  value?: string;
}

/** Which endpoints each affinity Service may stick to, from the effective elements. */
export function affinityTargets(
  effective: Map<string, Array<{ key: string; value?: string }>>,
): AffinityTargets {
  const services = new Map<string, Set<string>>();
  const nodePorts = new Map<string, Set<string>>();
  for (const { key } of effective.get("affinity-services") ?? []) services.set(key, new Set());
  for (const { key } of effective.get("affinity-nodeports") ?? []) nodePorts.set(key, new Set());
  for (const proto of ["tcp", "udp"]) {
    for (const { key, value } of effective.get(`cluster-endpoints-${proto}`) ?? []) {
      const [vip, port] = key.split(" . ");
      services.get(`${vip} . ${proto} . ${port}`)?.add(value ?? "");
    }
    for (const { key, value } of effective.get(`nodeport-endpoints-${proto}`) ?? []) {
      const [port] = key.split(" . ");
      nodePorts.get(`${proto} . ${port}`)?.add(value ?? "");
    }
  }
  return { services, nodePorts };
}

/** Entries to delete, as nft element keys ("client . daddr . proto . port"). */
export function staleAffinity(entries: MapElement[], targets: AffinityTargets): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const [, daddr, proto, port] = e.key;
    const value = e.value.join(" . ");
    const valid =
      targets.services.get(`${daddr} . ${proto} . ${port}`) ?? targets.nodePorts.get(`${proto} . ${port}`);
    if (!valid?.has(value)) out.push(e.key.join(" . "));
  }
  return out;
}

/** Whether a change to these elements can invalidate affinity entries. */
export function touchesAffinity(before: ElementLike[], after: ElementLike[]): boolean {
  return [...before, ...after].some((e) => e.set === "affinity-services" || e.set === "affinity-nodeports");
}
