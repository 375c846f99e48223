/**
 * The cluster zone's records, computed from cluster state by pure functions: this is the
 * Kubernetes DNS-based service discovery specification (kubernetes/dns, schema 1.1.0) turned
 * into resource records. One Service's records depend only on the Service, its
 * EndpointSlices and (for endpoint hostnames) Pods, so `serviceRecords` is what an
 * incremental update recomputes; `records` is the same for a whole state at once.
 *
 *  - ClusterIP Service: A/AAAA per ClusterIP at <svc>.<ns>.svc.<zone>, SRV per named port
 *    pointing at that name, PTR per ClusterIP.
 *  - Headless Service: A/AAAA per ready endpoint address at the Service name and at
 *    <hostname>.<svc>.<ns>.svc.<zone>; SRV per (named port, ready endpoint) pointing at the
 *    hostname name; PTR per ready endpoint address. No ready endpoints: no records (NXDOMAIN).
 *    The hostname is the endpoint's `hostname`, else the Pod's spec.hostname when its
 *    spec.subdomain names this Service (what the EndpointSlice controller copies), else the
 *    endpoint's address as one dashed label (the spec's "system-assigned identifier").
 *  - ExternalName Service: CNAME to the external name.
 *  - Ready: conditions.ready not false (unset means ready), or the Service publishes
 *    not-ready addresses (spec.publishNotReadyAddresses or the tolerate-unready annotation).
 *  - dns-version.<zone> TXT "1.1.0", and the apex NS (ns.dns.<zone>, addressed by kube-dns).
 * Pod records (a-b-c-d.<ns>.pod.<zone>) are synthesised at query time ("pods insecure"), and
 * wildcard queries (deprecated by the spec) are not served.
 */
import type { SrvAnswer, StringAnswer, TxtAnswer } from "dns-packet";
import type { KObject } from "../cluster/types.js";
import { isIp } from "../ipam/cidr.js";
import { canonicalName, dashedIp, reverseName } from "./names.js";

export type DnsRecord = StringAnswer | SrvAnswer | TxtAnswer;

export const SCHEMA_VERSION = "1.1.0";
export const DEFAULT_TTL = 30;
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
const TOLERATE_UNREADY = "service.alpha.kubernetes.io/tolerate-unready-endpoints";

export interface RecordOptions {
  /** The cluster domain, e.g. "cluster.local" (canonical: lower case, no trailing dot). */
  domain: string;
  ttl: number;
}

/** Pod name -> the hostname/subdomain the Pod asked for (only Pods that set both). */
export type PodHostnames = (
  namespace: string,
  podName: string,
) => { hostname: string; subdomain: string } | undefined;

export interface ClusterDnsState {
  services: KObject[];
  endpointSlices: KObject[];
  pods: KObject[];
}

const PROTOCOLS = new Set(["TCP", "UDP", "SCTP"]);

export function serviceDomainName(namespace: string, name: string, domain: string): string {
  return canonicalName(`${name}.${namespace}.svc.${domain}`);
}

/** The records that exist whatever the cluster holds. */
export function staticRecords(opts: RecordOptions): DnsRecord[] {
  return [
    { name: `dns-version.${opts.domain}`, type: "TXT", ttl: opts.ttl, class: "IN", data: [SCHEMA_VERSION] },
    { name: opts.domain, type: "NS", ttl: opts.ttl, class: "IN", data: `ns.dns.${opts.domain}` },
  ];
}

function addressRecord(name: string, ip: string, ttl: number): StringAnswer {
  return { name, type: ip.includes(":") ? "AAAA" : "A", ttl, class: "IN", data: ip };
}

function ptrRecord(ip: string, target: string, ttl: number): StringAnswer {
  return { name: reverseName(ip), type: "PTR", ttl, class: "IN", data: target };
}

function srvRecord(name: string, port: number, target: string, weight: number, ttl: number): SrvAnswer {
  return { name, type: "SRV", ttl, class: "IN", data: { priority: 0, weight, port, target } };
}

function srvOwner(portName: string, protocol: string | undefined, base: string): string | undefined {
  const proto = protocol ?? "TCP";
  if (!portName || !PROTOCOLS.has(proto)) return undefined;
  return canonicalName(`_${portName}._${proto.toLowerCase()}.${base}`);
}

export function podHostnameIndex(pods: KObject[]): PodHostnames {
  const map = new Map<string, { hostname: string; subdomain: string }>();
  for (const p of pods) {
    const h = p.spec?.hostname;
    const s = p.spec?.subdomain;
    if (typeof h === "string" && h && typeof s === "string" && s)
      map.set(`${p.metadata.namespace ?? "default"}/${p.metadata.name}`, { hostname: h, subdomain: s });
  }
  return (ns, name) => map.get(`${ns}/${name}`);
}

function clusterIPsOf(svc: KObject): string[] {
  const spec = svc.spec ?? {};
  const ips: unknown[] =
    Array.isArray(spec.clusterIPs) && spec.clusterIPs.length ? spec.clusterIPs : [spec.clusterIP];
  return ips.filter((ip): ip is string => typeof ip === "string" && ip !== "");
}

function publishesNotReady(svc: KObject): boolean {
  return (
    svc.spec?.publishNotReadyAddresses === true || svc.metadata.annotations?.[TOLERATE_UNREADY] === "true"
  );
}

/** Every record one Service contributes, given its EndpointSlices. */
export function serviceRecords(
  svc: KObject,
  slices: readonly KObject[],
  pods: PodHostnames,
  opts: RecordOptions,
): DnsRecord[] {
  const ns = svc.metadata.namespace ?? "default";
  const base = serviceDomainName(ns, svc.metadata.name, opts.domain);
  const { ttl } = opts;
  if (svc.spec?.type === "ExternalName") {
    const target = canonicalName(String(svc.spec.externalName ?? ""));
    return target ? [{ name: base, type: "CNAME", ttl, class: "IN", data: target }] : [];
  }
  const ips = clusterIPsOf(svc);
  if (ips.includes("None")) return headlessRecords(svc, base, slices, pods, opts);
  const out: DnsRecord[] = [];
  for (const ip of ips) {
    if (!isIp(ip)) continue;
    out.push(addressRecord(base, ip, ttl), ptrRecord(ip, base, ttl));
    if (ns === "kube-system" && svc.metadata.name === "kube-dns")
      out.push(addressRecord(`ns.dns.${opts.domain}`, ip, ttl));
  }
  if (!out.length) return out; // no ClusterIP allocated yet: the Service has no name yet
  for (const p of (svc.spec?.ports ?? []) as Array<{ name?: string; port: number; protocol?: string }>) {
    const owner = srvOwner(p.name ?? "", p.protocol, base);
    if (owner) out.push(srvRecord(owner, p.port, base, 100, ttl));
  }
  return out;
}

interface SliceEndpoint {
  addresses?: string[];
  conditions?: { ready?: boolean };
  hostname?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string };
}

function headlessRecords(
  svc: KObject,
  base: string,
  slices: readonly KObject[],
  pods: PodHostnames,
  { ttl }: RecordOptions,
): DnsRecord[] {
  const ns = svc.metadata.namespace ?? "default";
  const notReadyToo = publishesNotReady(svc);
  const out: DnsRecord[] = [];
  const seen = new Set<string>();
  const push = (r: DnsRecord) => {
    const key = `${r.name}|${r.type}|${JSON.stringify(r.data)}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(r);
    }
  };
  const srvTargets = new Map<string, Array<{ port: number; target: string }>>();
  for (const slice of slices) {
    if (slice.addressType !== "IPv4" && slice.addressType !== "IPv6") continue;
    const ports = (slice.ports ?? []) as Array<{ name?: string; port?: number; protocol?: string }>;
    for (const ep of (slice.endpoints ?? []) as SliceEndpoint[]) {
      if (ep.conditions?.ready === false && !notReadyToo) continue;
      for (const ip of ep.addresses ?? []) {
        if (!isIp(ip)) continue;
        const host = endpointHostname(ep, ns, svc.metadata.name, pods) ?? dashedIp(ip);
        const hostName = canonicalName(`${host}.${base}`);
        push(addressRecord(base, ip, ttl));
        push(addressRecord(hostName, ip, ttl));
        push(ptrRecord(ip, hostName, ttl));
        for (const p of ports) {
          const owner = srvOwner(p.name ?? "", p.protocol, base);
          if (!owner || typeof p.port !== "number") continue;
          const list = srvTargets.get(owner) ?? [];
          if (!list.some((t) => t.port === p.port && t.target === hostName))
            list.push({ port: p.port, target: hostName });
          srvTargets.set(owner, list);
        }
      }
    }
  }
  // Equal shares of weight 100 among a name's targets (RFC 2782 leaves the numbers to us).
  for (const [owner, targets] of srvTargets) {
    const weight = Math.max(1, Math.floor(100 / targets.length));
    for (const t of targets) push(srvRecord(owner, t.port, t.target, weight, ttl));
  }
  return out;
}

function endpointHostname(
  ep: SliceEndpoint,
  ns: string,
  svcName: string,
  pods: PodHostnames,
): string | undefined {
  if (ep.hostname) return ep.hostname;
  const ref = ep.targetRef;
  if (ref?.kind !== "Pod" || !ref.name) return undefined;
  const pod = pods(ref.namespace ?? ns, ref.name);
  return pod && pod.subdomain === svcName && (ref.namespace ?? ns) === ns ? pod.hostname : undefined;
}

/** EndpointSlices grouped by the Service they belong to ("ns/name" -> slices). */
export function slicesByService(slices: readonly KObject[]): Map<string, KObject[]> {
  const map = new Map<string, KObject[]>();
  for (const s of slices) {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const key = `${s.metadata.namespace ?? "default"}/${svc}`;
    const list = map.get(key) ?? [];
    list.push(s);
    map.set(key, list);
  }
  return map;
}

/** The whole zone's records for a state: static records plus every Service's. */
export function records(state: ClusterDnsState, opts: RecordOptions): DnsRecord[] {
  const bySvc = slicesByService(state.endpointSlices);
  const pods = podHostnameIndex(state.pods);
  const out = staticRecords(opts);
  for (const svc of state.services) {
    const key = `${svc.metadata.namespace ?? "default"}/${svc.metadata.name}`;
    out.push(...serviceRecords(svc, bySvc.get(key) ?? [], pods, opts));
  }
  return out;
}
