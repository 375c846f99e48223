/**
 * Human output of `flatnet get`, column for column as kubectl prints each kind, plus the
 * networking columns flatnet is about (node IP and podCIDR for nodes).
 */
import type { KObject } from "../cluster/types.js";
import { age } from "./table.js";

export interface Columns {
  headers: string[];
  row: (o: KObject) => string[];
}

const none = "<none>";

function podReady(o: KObject): string {
  const statuses = (o.status?.containerStatuses ?? []) as Array<{ ready: boolean }>;
  const total = (o.spec?.containers ?? []).length;
  return `${statuses.filter((s) => s.ready).length}/${total}`;
}

function podStatus(o: KObject): string {
  if (o.metadata.deletionTimestamp) return "Terminating";
  const waiting = (
    (o.status?.containerStatuses ?? []) as Array<{ state?: { waiting?: { reason: string } } }>
  ).find((s) => s.state?.waiting);
  if (o.status?.phase === "Pending" && o.spec?.nodeName && !o.status?.podIP) return "ContainerCreating";
  return waiting?.state?.waiting?.reason ?? o.status?.phase ?? "Pending";
}

function restarts(o: KObject): string {
  const statuses = (o.status?.containerStatuses ?? []) as Array<{ restartCount?: number }>;
  return String(statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0));
}

function servicePorts(o: KObject): string {
  const ports = (o.spec?.ports ?? []) as Array<{ port: number; nodePort?: number; protocol?: string }>;
  if (ports.length === 0) return none;
  return ports.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ""}/${p.protocol ?? "TCP"}`).join(",");
}

/** kubectl: the external name, LoadBalancer ingress (else <pending>), externalIPs, else <none>. */
function serviceExternalIP(o: KObject): string {
  if (o.spec?.type === "ExternalName") return o.spec?.externalName ?? none;
  const external = (o.spec?.externalIPs ?? []) as string[];
  if (o.spec?.type === "LoadBalancer") {
    const ingress = ((o.status?.loadBalancer?.ingress ?? []) as Array<{ ip?: string; hostname?: string }>)
      .map((i) => i.ip ?? i.hostname ?? "")
      .filter((x) => x !== "");
    const all = [...ingress, ...external];
    return all.length > 0 ? all.join(",") : "<pending>";
  }
  return external.length > 0 ? external.join(",") : none;
}

/** kubectl's EndpointSlice columns: "<unset>" when empty, at most 3 endpoints then "+ N more...". */
function slicePorts(o: KObject): string {
  const ports = (o.ports ?? []) as Array<{ port?: number }>;
  if (ports.length === 0) return "<unset>";
  return ports.map((p) => (p.port === undefined ? "<unset>" : String(p.port))).join(",");
}

function sliceEndpoints(o: KObject): string {
  const addresses = ((o.endpoints ?? []) as Array<{ addresses?: string[] }>).flatMap(
    (e) => e.addresses ?? [],
  );
  if (addresses.length === 0) return "<unset>";
  const shown = addresses.slice(0, 3).join(",");
  return addresses.length > 3 ? `${shown} + ${addresses.length - 3} more...` : shown;
}

function internalIP(o: KObject): string {
  return (o.status?.addresses ?? []).find((a: { type: string }) => a.type === "InternalIP")?.address ?? none;
}

function selector(map: Record<string, string> | undefined): string {
  if (!map || Object.keys(map).length === 0) return none;
  return Object.entries(map)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

export interface PrintOptions {
  /** The cluster's DNS domain (cluster.local unless the Cluster config says otherwise). */
  dnsDomain: string;
}

export function columnsFor(
  kind: string,
  wide: boolean,
  opts: PrintOptions = { dnsDomain: "cluster.local" },
): Columns {
  switch (kind) {
    case "Pod":
      return {
        headers: ["NAME", "READY", "STATUS", "RESTARTS", "AGE", ...(wide ? ["IP", "NODE"] : [])],
        row: (o) => [
          o.metadata.name,
          podReady(o),
          podStatus(o),
          restarts(o),
          age(o.metadata.creationTimestamp),
          ...(wide ? [o.status?.podIP ?? none, o.spec?.nodeName ?? none] : []),
        ],
      };
    case "Node":
      return {
        headers: ["NAME", "STATUS", "ROLES", "AGE", "INTERNAL-IP", "POD-CIDR"],
        row: (o) => [
          o.metadata.name,
          (o.status?.conditions ?? []).some(
            (c: { type: string; status: string }) => c.type === "Ready" && c.status === "True",
          )
            ? "Ready"
            : "NotReady",
          none,
          age(o.metadata.creationTimestamp),
          internalIP(o),
          o.spec?.podCIDR ?? none,
        ],
      };
    case "Service":
      return {
        headers: [
          "NAME",
          "TYPE",
          "CLUSTER-IP",
          "EXTERNAL-IP",
          "PORT(S)",
          "AGE",
          ...(wide ? ["SELECTOR"] : []),
          "DNS",
        ],
        row: (o) => [
          o.metadata.name,
          o.spec?.type ?? "ClusterIP",
          o.spec?.clusterIP ?? none,
          serviceExternalIP(o),
          servicePorts(o),
          age(o.metadata.creationTimestamp),
          ...(wide ? [selector(o.spec?.selector)] : []),
          // The name cluster DNS answers for it (kubectl has no such column; flatnet is
          // about networking, so it shows where the Service is found).
          `${o.metadata.name}.${o.metadata.namespace ?? "default"}.svc.${opts.dnsDomain}`,
        ],
      };
    case "Deployment":
      return {
        headers: ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
        row: (o) => [
          o.metadata.name,
          `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 1}`,
          String(o.status?.updatedReplicas ?? 0),
          String(o.status?.availableReplicas ?? 0),
          age(o.metadata.creationTimestamp),
        ],
      };
    case "EndpointSlice":
      return {
        headers: ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"],
        row: (o) => [
          o.metadata.name,
          String(o.addressType ?? ""),
          slicePorts(o),
          sliceEndpoints(o),
          age(o.metadata.creationTimestamp),
        ],
      };
    case "Namespace":
      return {
        headers: ["NAME", "STATUS", "AGE"],
        row: (o) => [o.metadata.name, o.status?.phase ?? "Active", age(o.metadata.creationTimestamp)],
      };
    default:
      return { headers: ["NAME", "AGE"], row: (o) => [o.metadata.name, age(o.metadata.creationTimestamp)] };
  }
}
