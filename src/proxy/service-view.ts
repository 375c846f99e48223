/**
 * The service proxy's input, as kube-proxy sees it: one ServicePortInfo per (Service, port),
 * joined with the endpoints its EndpointSlices list for that port (matched by port name and
 * protocol, so each pod contributes its own resolved target port). Slices are found by the
 * `kubernetes.io/service-name` label, whoever manages them (selectorless Services work).
 *
 * Left out, as kube-proxy leaves them: ExternalName (DNS only), headless (no virtual IP),
 * Services without an IPv4 ClusterIP, and non-TCP/UDP ports (reported, not silently dropped).
 * Pure.
 */
import type { KObject } from "../cluster/types.js";

export type Protocol = "TCP" | "UDP";

export interface EndpointInfo {
  ip: string;
  port: number;
  nodeName?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

export interface ServicePortInfo {
  /** "namespace/name". */
  service: string;
  /** The service port's name ("" when unnamed). */
  portName: string;
  protocol: Protocol;
  clusterIP: string;
  port: number;
  nodePort?: number;
  externalLocal: boolean;
  internalLocal: boolean;
  /** Seconds of ClientIP affinity; undefined without affinity. */
  affinityTimeout?: number;
  endpoints: EndpointInfo[];
}

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

interface SpecPort {
  name?: string;
  port: number;
  protocol?: string;
  nodePort?: number;
}

interface SliceEndpoint {
  addresses?: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  nodeName?: string;
}

const isIPv4 = (ip: unknown): ip is string => typeof ip === "string" && /^\d+\.\d+\.\d+\.\d+$/.test(ip);

/** The slices of `service` among `slices` (same namespace, service-name label). */
export function slicesOf(service: KObject, slices: KObject[]): KObject[] {
  const ns = service.metadata.namespace ?? "default";
  return slices.filter(
    (s) =>
      (s.metadata.namespace ?? "default") === ns &&
      s.metadata.labels?.[SERVICE_NAME_LABEL] === service.metadata.name,
  );
}

/** Endpoints of one service port across slices, deduplicated by ip:port (a ready copy wins). */
function endpointsFor(port: SpecPort, protocol: string, slices: KObject[]): EndpointInfo[] {
  const byKey = new Map<string, EndpointInfo>();
  for (const slice of slices) {
    if (slice.addressType !== "IPv4") continue;
    const slicePort = ((slice.ports ?? []) as SpecPort[]).find(
      (p) => (p.name ?? "") === (port.name ?? "") && (p.protocol ?? "TCP") === protocol,
    );
    if (!slicePort || typeof slicePort.port !== "number") continue;
    for (const e of (slice.endpoints ?? []) as SliceEndpoint[]) {
      const ip = e.addresses?.[0];
      if (!isIPv4(ip)) continue;
      // Unset conditions mean ready/serving (the API's documented interpretation).
      const ready = e.conditions?.ready ?? true;
      const info: EndpointInfo = {
        ip,
        port: slicePort.port,
        ready,
        serving: e.conditions?.serving ?? ready,
        terminating: e.conditions?.terminating ?? false,
      };
      if (e.nodeName) info.nodeName = e.nodeName;
      const key = `${ip}:${slicePort.port}`;
      const prev = byKey.get(key);
      if (!prev || (!prev.ready && info.ready)) byKey.set(key, info);
    }
  }
  // Plain code-unit order (localeCompare costs a collator call per comparison).
  return [...byKey.values()].sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : a.port - b.port));
}

export interface ServiceView {
  ports: ServicePortInfo[];
  /** Ports the proxy cannot program, with why (e.g. SCTP). */
  skipped: string[];
}

/** The service ports the proxy programs for `service`, with their endpoints from `slices`. */
export function serviceView(service: KObject, slices: KObject[]): ServiceView {
  const spec = service.spec ?? {};
  const name = `${service.metadata.namespace ?? "default"}/${service.metadata.name}`;
  const out: ServiceView = { ports: [], skipped: [] };
  if (spec.type === "ExternalName" || !isIPv4(spec.clusterIP)) return out;
  const own = slicesOf(service, slices);
  const affinity =
    spec.sessionAffinity === "ClientIP"
      ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800)
      : undefined;
  const hasNodePorts = spec.type === "NodePort" || spec.type === "LoadBalancer";
  for (const p of (spec.ports ?? []) as SpecPort[]) {
    const protocol = p.protocol ?? "TCP";
    if (protocol !== "TCP" && protocol !== "UDP") {
      out.skipped.push(
        `${name} port ${p.name ?? p.port}: protocol ${protocol} is not supported by the proxy`,
      );
      continue;
    }
    const info: ServicePortInfo = {
      service: name,
      portName: p.name ?? "",
      protocol,
      clusterIP: spec.clusterIP,
      port: p.port,
      externalLocal: hasNodePorts && spec.externalTrafficPolicy === "Local",
      internalLocal: spec.internalTrafficPolicy === "Local",
      endpoints: endpointsFor(p, protocol, own),
    };
    if (hasNodePorts && typeof p.nodePort === "number" && p.nodePort > 0) info.nodePort = p.nodePort;
    if (affinity !== undefined) info.affinityTimeout = affinity;
    out.ports.push(info);
  }
  return out;
}
