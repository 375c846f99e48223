/**
 * The DNS benchmark's cluster and query mix: 10,000 Services in 100 namespaces (9,000
 * ClusterIP with a named port, 1,000 headless with 3 ready endpoints each and a named port,
 * plus kube-dns), the same records as a zone file for the reference server, and a dnsperf
 * query file of cluster names: 70% A of ClusterIP Services, 10% A of headless Services, 10%
 * SRV, 5% PTR of Service IPs, 5% names that do not exist (NXDOMAIN).
 */
import type { KObject } from "../../src/cluster/types.js";
import { type DnsRecord, records } from "../../src/dns/records.js";

export const DOMAIN = "cluster.local";

export interface BenchCluster {
  namespaces: KObject[];
  services: KObject[];
  endpointSlices: KObject[];
}

export function syntheticCluster(count: number): BenchCluster {
  const namespaces: KObject[] = [];
  const services: KObject[] = [];
  const endpointSlices: KObject[] = [];
  for (let n = 0; n < 100; n++)
    namespaces.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: `ns${n}` } });
  namespaces.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-system" } });
  services.push({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kube-dns", namespace: "kube-system" },
    spec: { clusterIP: "10.96.0.10", ports: [{ name: "dns", port: 53, protocol: "UDP" }] },
  });
  for (let i = 0; i < count; i++) {
    const ns = `ns${i % 100}`;
    const name = `svc${i}`;
    const headless = i % 10 === 9;
    const ip = `10.${96 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${(i % 256) + 1}`;
    services.push({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: ns },
      spec: { clusterIP: headless ? "None" : ip, ports: [{ name: "http", port: 80, protocol: "TCP" }] },
    });
    if (headless)
      endpointSlices.push({
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: { name: `${name}-abc`, namespace: ns, labels: { "kubernetes.io/service-name": name } },
        addressType: "IPv4",
        endpoints: [0, 1, 2].map((k) => ({
          addresses: [`10.${244 + (k % 4)}.${Math.floor(i / 256) % 256}.${(i % 254) + 1}`],
          conditions: { ready: true },
        })),
        ports: [{ name: "http", port: 8080, protocol: "TCP" }],
      });
  }
  return { namespaces, services, endpointSlices };
}

export function clusterRecords(c: BenchCluster): DnsRecord[] {
  return records(
    { services: c.services, endpointSlices: c.endpointSlices, pods: [] },
    { domain: DOMAIN, ttl: 30 },
  );
}

function rdata(r: DnsRecord): string {
  switch (r.type) {
    case "SRV":
      return `${r.data.priority} ${r.data.weight} ${r.data.port} ${r.data.target}.`;
    case "TXT":
      return (Array.isArray(r.data) ? r.data : [r.data]).map((t) => `"${String(t)}"`).join(" ");
    case "A":
    case "AAAA":
      return r.data;
    default:
      return `${r.data}.`;
  }
}

/** Zone files with the same records: the cluster zone and in-addr.arpa (the PTRs). */
export function zoneFiles(rrs: DnsRecord[]): Record<string, string> {
  const soa = (origin: string) =>
    `${origin}. 30 IN SOA ns.dns.${DOMAIN}. hostmaster.${DOMAIN}. 1 7200 1800 86400 30\n${origin}. 30 IN NS ns.dns.${DOMAIN}.\n`;
  let cluster = soa(DOMAIN);
  let reverse = soa("in-addr.arpa");
  for (const r of rrs) {
    if (r.type === "NS") continue;
    const line = `${r.name}. ${r.ttl} IN ${r.type} ${rdata(r)}\n`;
    if (r.name.endsWith(".in-addr.arpa")) reverse += line;
    else cluster += line;
  }
  return { [DOMAIN]: cluster, "in-addr.arpa": reverse };
}

/** dnsperf's query file ("name TYPE" per line), seeded so both servers get the same list. */
export function queryFile(c: BenchCluster, lines: number): string {
  let seed = 42;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % n;
  };
  const clusterIP = c.services.filter((s) => s.spec.clusterIP !== "None");
  const headless = c.services.filter((s) => s.spec.clusterIP === "None");
  const fqdn = (s: KObject) => `${s.metadata.name}.${s.metadata.namespace}.svc.${DOMAIN}`;
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const k = rand(100);
    if (k < 70) out.push(`${fqdn(clusterIP[rand(clusterIP.length)]!)} A`);
    else if (k < 80) out.push(`${fqdn(headless[rand(headless.length)]!)} A`);
    else if (k < 90) out.push(`_http._tcp.${fqdn(clusterIP[rand(clusterIP.length)]!)} SRV`);
    else if (k < 95) {
      const ip = clusterIP[rand(clusterIP.length)]!.spec.clusterIP as string;
      out.push(`${ip.split(".").reverse().join(".")}.in-addr.arpa PTR`);
    } else out.push(`missing${rand(100000)}.ns${rand(100)}.svc.${DOMAIN} A`);
  }
  return `${out.join("\n")}\n`;
}
