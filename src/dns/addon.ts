/**
 * The cluster DNS add-on as Kubernetes objects, the way kubeadm installs CoreDNS: Service
 * `kube-system/kube-dns` at the service CIDR's tenth address (10.96.0.10) with ports `dns`
 * 53/UDP and `dns-tcp` 53/TCP selecting `k8s-app: kube-dns`, and a Deployment of two pods
 * running src/dns/main.ts with a readiness probe on :8181/ready. The lab daemon applies these
 * at start; the pods reach the daemon's state through its socket (a path, so it works from
 * inside the pod's network namespace).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { applyDefaults } from "../api/index.js";
import type { KObject } from "../cluster/types.js";
import { formatIp, nthAddress, parseCidr } from "../ipam/cidr.js";

export const DNS_SERVICE = { namespace: "kube-system", name: "kube-dns" };
export const DNS_APP_LABEL = { "k8s-app": "kube-dns" };

/** The cluster DNS address: the tenth address of the service CIDR (kubeadm's choice). */
export function clusterDnsIp(serviceSubnet: string): string {
  const cidr = parseCidr(serviceSubnet);
  return formatIp(cidr.family, nthAddress(cidr, 10));
}

export interface DnsAddonOptions {
  serviceSubnet: string;
  dnsDomain: string;
  upstreamDNS: string[];
  /** The lab daemon's RPC socket. */
  labSocket: string;
  replicas?: number;
  /** The Node.js binary and the entry script; defaults: this process's and main.js here. */
  node?: string;
  entry?: string;
}

export function dnsEntryScript(): string {
  const js = fileURLToPath(new URL("./main.js", import.meta.url));
  if (!existsSync(js)) throw new Error(`cluster DNS entry ${js} is missing: run \`npm run build\``);
  return js;
}

export function dnsAddonObjects(o: DnsAddonOptions): KObject[] {
  const args = [
    "--lab-socket",
    o.labSocket,
    "--domain",
    o.dnsDomain,
    ...o.upstreamDNS.flatMap((u) => ["--upstream", u]),
  ];
  const objects: KObject[] = [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { ...DNS_SERVICE, labels: { ...DNS_APP_LABEL, "kubernetes.io/name": "flatnet-dns" } },
      spec: {
        type: "ClusterIP",
        clusterIP: clusterDnsIp(o.serviceSubnet),
        selector: DNS_APP_LABEL,
        ports: [
          { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
          { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
        ],
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "flatnet-dns", namespace: DNS_SERVICE.namespace, labels: DNS_APP_LABEL },
      spec: {
        replicas: o.replicas ?? 2,
        selector: { matchLabels: DNS_APP_LABEL },
        template: {
          metadata: { labels: DNS_APP_LABEL },
          spec: {
            dnsPolicy: "Default",
            containers: [
              {
                name: "dns",
                // Lab pods have no images (they see the host's files); the name says what runs.
                image: "flatnet.dev/cluster-dns",
                command: [o.node ?? process.execPath, o.entry ?? dnsEntryScript(), ...args],
                ports: [
                  { name: "dns", containerPort: 53, protocol: "UDP" },
                  { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                ],
                readinessProbe: { httpGet: { path: "/ready", port: 8181 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
  ];
  return objects.map((obj) => applyDefaults(obj));
}
