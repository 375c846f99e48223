/**
 * The EndpointSlices a Service should have, as a pure function of the Service and the Pods of
 * its namespace, with the documented semantics of Kubernetes' EndpointSlice controller:
 *  - only Services with a selector (an empty selector selects nothing) and not ExternalName;
 *  - a pod counts once it is bound, has an IP and has not finished (Succeeded/Failed);
 *  - conditions: serving = pod Ready; terminating = deletionTimestamp set; ready = serving and
 *    not terminating, or always true with publishNotReadyAddresses;
 *  - each service port's targetPort is resolved per pod (a named port by the pod's container
 *    port of that name and protocol; a pod without it is left out of that port), so pods that
 *    resolve to different port sets land in different slices;
 *  - at most 100 endpoints per slice, one address family per slice;
 *  - labels kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by (plus the
 *    Service's own labels), an owner reference to the Service;
 *  - a Service whose selector matches nothing still gets one empty slice.
 * Names are deterministic (`<service>-<hash>`) so a recomputation finds the slice it updates.
 */
import { createHash } from "node:crypto";
import { mapSelectorMatches } from "../../api/selector.js";
import type { KObject } from "../types.js";

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
export const MANAGED_BY = "endpointslice-controller.k8s.io";
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface SlicePort {
  name: string;
  port: number;
  protocol: string;
}

export interface SliceEndpoint {
  addresses: string[];
  conditions: { ready: boolean; serving: boolean; terminating: boolean };
  nodeName?: string;
  hostname?: string;
  targetRef: { kind: "Pod"; namespace: string; name: string; uid?: string };
}

interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  targetPort?: number | string;
}

interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

function podReady(pod: KObject): boolean {
  const conds = (pod.status?.conditions ?? []) as Array<{ type: string; status: string }>;
  return conds.some((c) => c.type === "Ready" && c.status === "True");
}

/** Bound, addressed and not finished: the pods an EndpointSlice may list. */
export function podIsEndpointCandidate(pod: KObject): boolean {
  const phase = pod.status?.phase;
  return !!pod.spec?.nodeName && !!pod.status?.podIP && phase !== "Succeeded" && phase !== "Failed";
}

/** The pod port a service port's targetPort means for this pod; undefined when it has none. */
export function resolveTargetPort(sp: ServicePort, pod: KObject): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === "number") return target;
  if (/^[0-9]+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? "TCP";
  for (const c of (pod.spec?.containers ?? []) as Array<{ ports?: ContainerPort[] }>) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? "TCP") === protocol) return p.containerPort;
    }
  }
  return undefined;
}

function family(ip: string): "IPv4" | "IPv6" {
  return ip.includes(":") ? "IPv6" : "IPv4";
}

function endpointFor(service: KObject, pod: KObject, ip: string): SliceEndpoint {
  const serving = podReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ep: SliceEndpoint = {
    addresses: [ip],
    conditions: {
      ready: service.spec?.publishNotReadyAddresses === true || (serving && !terminating),
      serving,
      terminating,
    },
    targetRef: { kind: "Pod", namespace: pod.metadata.namespace ?? "default", name: pod.metadata.name },
  };
  if (pod.metadata.uid) ep.targetRef.uid = pod.metadata.uid;
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  if (pod.spec?.hostname && pod.spec?.subdomain === service.metadata.name) ep.hostname = pod.spec.hostname;
  return ep;
}

function sliceName(service: string, groupKey: string, index: number): string {
  const hash = createHash("sha256").update(`${groupKey}#${index}`).digest("hex").slice(0, 5);
  // Object names are at most 253 characters; keep room for "-" and the hash.
  return `${service.slice(0, 240)}-${hash}`;
}

/** Whether a Service's endpoints are managed from its selector at all. */
export function managesSlices(service: KObject): boolean {
  const selector = service.spec?.selector as Record<string, string> | undefined;
  return service.spec?.type !== "ExternalName" && !!selector && Object.keys(selector).length > 0;
}

/** The slices `service` should have given the pods of its namespace (sorted by name). */
export function desiredEndpointSlices(service: KObject, pods: KObject[]): KObject[] {
  if (!managesSlices(service)) return [];
  const namespace = service.metadata.namespace ?? "default";
  const ports = (service.spec?.ports ?? []) as ServicePort[];
  const groups = new Map<string, { addressType: string; ports: SlicePort[]; endpoints: SliceEndpoint[] }>();
  const selected = pods
    .filter((p) => (p.metadata.namespace ?? "default") === namespace)
    .filter((p) => mapSelectorMatches(service.spec.selector, p.metadata.labels) && podIsEndpointCandidate(p))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  for (const pod of selected) {
    const slicePorts: SlicePort[] = [];
    for (const sp of ports) {
      const port = resolveTargetPort(sp, pod);
      if (port !== undefined) slicePorts.push({ name: sp.name ?? "", port, protocol: sp.protocol ?? "TCP" });
    }
    const ip: string = pod.status.podIP;
    const addressType = family(ip);
    const key = `${addressType}|${slicePorts.map((p) => `${p.name}:${p.port}/${p.protocol}`).join(",")}`;
    let group = groups.get(key);
    if (!group) {
      group = { addressType, ports: slicePorts, endpoints: [] };
      groups.set(key, group);
    }
    group.endpoints.push(endpointFor(service, pod, ip));
  }
  if (groups.size === 0) groups.set("IPv4|", { addressType: "IPv4", ports: [], endpoints: [] });
  const slices: KObject[] = [];
  for (const [key, group] of groups) {
    const count = Math.max(1, Math.ceil(group.endpoints.length / MAX_ENDPOINTS_PER_SLICE));
    for (let i = 0; i < count; i++) {
      slices.push(
        sliceObject(service, sliceName(service.metadata.name, key, i), group.addressType, group.ports, [
          ...group.endpoints.slice(i * MAX_ENDPOINTS_PER_SLICE, (i + 1) * MAX_ENDPOINTS_PER_SLICE),
        ]),
      );
    }
  }
  return slices.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

function sliceObject(
  service: KObject,
  name: string,
  addressType: string,
  ports: SlicePort[],
  endpoints: SliceEndpoint[],
): KObject {
  const labels: Record<string, string> = {
    ...(service.metadata.labels ?? {}),
    [SERVICE_NAME_LABEL]: service.metadata.name,
    [MANAGED_BY_LABEL]: MANAGED_BY,
  };
  if (service.spec?.clusterIP === "None") labels["service.kubernetes.io/headless"] = "";
  const owner = {
    apiVersion: "v1",
    kind: "Service",
    name: service.metadata.name,
    uid: service.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name,
      namespace: service.metadata.namespace ?? "default",
      labels,
      ownerReferences: [owner],
    },
    addressType,
    endpoints,
    ports,
  };
}
