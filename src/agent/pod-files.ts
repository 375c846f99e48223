/**
 * The per-pod files a kubelet manages: /etc/resolv.conf per dnsPolicy and /etc/hosts with the
 * pod's own name. They live in /etc/netns/<pod netns>/, which `ip netns exec` bind-mounts
 * over /etc/*, so every command run in the pod (dig, getent, curl) sees its own files.
 */
import { rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface DnsSettings {
  clusterDNS: string;
  clusterDomain: string;
  /** The node's resolv.conf content (dnsPolicy Default). */
  hostResolvConf: string;
}

interface PodDnsView {
  namespace: string;
  hostNetwork?: boolean;
  dnsPolicy?: string;
  dnsConfig?: {
    nameservers?: string[];
    searches?: string[];
    options?: Array<{ name: string; value?: string }>;
  };
}

/** resolv.conf content as the kubelet renders it for the pod's dnsPolicy. */
export function renderResolvConf(pod: PodDnsView, dns: DnsSettings): string {
  const policy = pod.dnsPolicy ?? "ClusterFirst";
  let nameservers: string[] = [];
  let searches: string[] = [];
  let options = new Map<string, string | undefined>();
  const clusterFirst =
    policy === "ClusterFirstWithHostNet" || (policy === "ClusterFirst" && !pod.hostNetwork);
  if (clusterFirst) {
    nameservers = [dns.clusterDNS];
    const d = dns.clusterDomain;
    searches = [`${pod.namespace}.svc.${d}`, `svc.${d}`, d];
    options.set("ndots", "5");
  } else if (policy === "Default" || policy === "ClusterFirst") {
    for (const line of dns.hostResolvConf.split("\n")) {
      const [key, ...rest] = line.trim().split(/\s+/);
      if (key === "nameserver" && rest[0]) nameservers.push(rest[0]);
      if (key === "search") searches = rest;
      if (key === "options") for (const o of rest) options.set(o.split(":")[0]!, o.split(":")[1]);
    }
  }
  // dnsConfig is merged on top (and is all there is for None), as the kubelet does.
  const cfg = pod.dnsConfig;
  if (cfg) {
    nameservers = [...new Set([...nameservers, ...(cfg.nameservers ?? [])])].slice(0, 3);
    searches = [...new Set([...searches, ...(cfg.searches ?? [])])].slice(0, 32);
    const merged = new Map(options);
    for (const o of cfg.options ?? []) merged.set(o.name, o.value);
    options = merged;
  }
  const lines: string[] = [];
  for (const ns of nameservers) lines.push(`nameserver ${ns}`);
  if (searches.length) lines.push(`search ${searches.join(" ")}`);
  if (options.size) {
    lines.push(`options ${[...options].map(([k, v]) => (v === undefined ? k : `${k}:${v}`)).join(" ")}`);
  }
  return `${lines.join("\n")}\n`;
}

export function renderHosts(podName: string, podIPs: string[]): string {
  const lines = [
    "# Kubernetes-managed hosts file (flatnet lab).",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
  ];
  for (const ip of podIPs) lines.push(`${ip}\t${podName}`);
  return `${lines.join("\n")}\n`;
}

/** Off the event loop: a lab daemon writes these for 1,000 pods while it serves everything else. */
export async function writePodFiles(
  netns: string,
  files: { resolvConf: string; hosts: string; hostname: string },
): Promise<void> {
  const dir = join("/etc/netns", netns);
  await mkdir(dir, { recursive: true });
  await Promise.all([
    writeFile(join(dir, "resolv.conf"), files.resolvConf),
    writeFile(join(dir, "hosts"), files.hosts),
    writeFile(join(dir, "hostname"), `${files.hostname}\n`),
  ]);
}

export function removePodFiles(netns: string): void {
  rmSync(join("/etc/netns", netns), { recursive: true, force: true });
}
