/**
 * Backend resolution: an Ingress backend (Service + port by number or name) -> the endpoints
 * the proxy connects to directly, skipping the Service's virtual IP (as ingress-nginx does):
 * the pod addresses of the Service's EndpointSlices (`kubernetes.io/service-name` label) that
 * are ready (`conditions.ready` unset counts as ready, as the API says), on the port the
 * EndpointSlice controller resolved for the Service port (slice ports carry the Service
 * port's name and the targetPort's number). Pure; a backend that cannot be served says why
 * (the proxy answers 503 with it).
 */
import type { KObject } from "../cluster/types.js";
import type { BackendRef } from "./routes.js";

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export interface ResolvedBackend {
  key: string;
  /** `ip:port` (IPv6 as `[ip]:port`), deduplicated, in a stable order. */
  endpoints: string[];
  /** Why there are no endpoints (no Service, no such port, none ready, unsupported kind). */
  problem: string | undefined;
}

/** Services and their EndpointSlices, indexed for resolution. */
export interface ServiceIndex {
  services: ReadonlyMap<string, KObject>;
  slices: ReadonlyMap<string, readonly KObject[]>;
}

export function serviceIndex(services: Iterable<KObject>, slices: Iterable<KObject>): ServiceIndex {
  const s = new Map<string, KObject>();
  for (const svc of services) s.set(`${svc.metadata.namespace ?? "default"}/${svc.metadata.name}`, svc);
  const byService = new Map<string, KObject[]>();
  for (const sl of slices) {
    const owner = sl.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!owner) continue;
    const key = `${sl.metadata.namespace ?? "default"}/${owner}`;
    const list = byService.get(key) ?? [];
    list.push(sl);
    byService.set(key, list);
  }
  return { services: s, slices: byService };
}

function hostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function resolveBackend(ref: BackendRef, idx: ServiceIndex): ResolvedBackend {
  const none = (problem: string): ResolvedBackend => ({ key: ref.key, endpoints: [], problem });
  if (ref.kind === "resource") return none(`resource backend ${ref.description} is not supported by flatnet`);
  const svcKey = `${ref.namespace}/${ref.service}`;
  const svc = idx.services.get(svcKey);
  if (!svc) return none(`Service ${svcKey} not found`);
  if (svc.spec?.type === "ExternalName") return none(`Service ${svcKey} is an ExternalName Service`);
  const ports = (svc.spec?.ports ?? []) as Array<{ name?: string; port: number; protocol?: string }>;
  const sp = ports.find((p) =>
    ref.port.name !== undefined ? p.name === ref.port.name : p.port === ref.port.number,
  );
  if (!sp) return none(`Service ${svcKey} has no port ${ref.port.name ?? ref.port.number}`);
  if ((sp.protocol ?? "TCP") !== "TCP") return none(`Service ${svcKey} port ${sp.port} is not TCP`);
  const portName = sp.name ?? "";
  const seen = new Set<string>();
  for (const slice of idx.slices.get(svcKey) ?? []) {
    const slicePort = (
      (slice.ports ?? []) as Array<{ name?: string; port?: number; protocol?: string }>
    ).find((p) => (p.name ?? "") === portName && (p.protocol ?? "TCP") === "TCP");
    if (!slicePort?.port) continue;
    for (const ep of (slice.endpoints ?? []) as Array<{
      addresses?: string[];
      conditions?: { ready?: boolean };
    }>) {
      if (ep.conditions?.ready === false) continue;
      for (const a of ep.addresses ?? []) seen.add(hostPort(a, slicePort.port));
    }
  }
  const endpoints = [...seen].sort();
  return {
    key: ref.key,
    endpoints,
    problem: endpoints.length ? undefined : `Service ${svcKey} has no ready endpoints`,
  };
}
