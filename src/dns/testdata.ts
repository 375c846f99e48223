/**
 * Cluster objects for the DNS tests: a ClusterIP Service with named ports, a headless Service
 * with ready and not-ready endpoints (one with an explicit hostname, one whose Pod asks for
 * hostname+subdomain, one with neither), an ExternalName Service, a Service with no
 * endpoints, a dual-stack Service and kube-dns itself. Shaped as the store holds them.
 */
import type { KObject } from "../cluster/types.js";

export function namespace(name: string): KObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name } };
}

export function service(ns: string, name: string, spec: Record<string, unknown>): KObject {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns }, spec };
}

export interface EndpointInput {
  ip: string;
  ready?: boolean;
  hostname?: string;
  pod?: string;
}

export function slice(
  ns: string,
  svc: string,
  name: string,
  endpoints: EndpointInput[],
  ports: Array<{ name?: string; port: number; protocol?: string }>,
  addressType = "IPv4",
): KObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name, namespace: ns, labels: { "kubernetes.io/service-name": svc } },
    addressType,
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: e.ready === undefined ? {} : { ready: e.ready },
      ...(e.hostname ? { hostname: e.hostname } : {}),
      ...(e.pod ? { targetRef: { kind: "Pod", name: e.pod, namespace: ns } } : {}),
    })),
    ports,
  };
}

export function pod(ns: string, name: string, spec: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns },
    spec: { containers: [], ...spec },
  };
}

export const DOMAIN = "cluster.local";

export function sampleState(): {
  namespaces: KObject[];
  services: KObject[];
  endpointSlices: KObject[];
  pods: KObject[];
} {
  return {
    namespaces: ["default", "kube-system", "shop"].map(namespace),
    services: [
      service("shop", "web", {
        type: "ClusterIP",
        clusterIP: "10.96.0.20",
        clusterIPs: ["10.96.0.20"],
        ports: [
          { name: "http", port: 80, protocol: "TCP" },
          { name: "dns", port: 53, protocol: "UDP" },
          { port: 8080, protocol: "TCP" },
        ],
      }),
      service("shop", "db", {
        clusterIP: "None",
        clusterIPs: ["None"],
        ports: [{ name: "pg", port: 5432, protocol: "TCP" }],
      }),
      service("shop", "ext", { type: "ExternalName", externalName: "Www.Example.COM." }),
      service("shop", "alias", { type: "ExternalName", externalName: "web.shop.svc.cluster.local" }),
      service("shop", "empty", { clusterIP: "None", clusterIPs: ["None"], ports: [{ name: "x", port: 1 }] }),
      service("shop", "lonely", {
        clusterIP: "10.96.0.30",
        clusterIPs: ["10.96.0.30"],
        ports: [{ port: 80 }],
      }),
      service("shop", "dual", {
        clusterIP: "10.96.0.40",
        clusterIPs: ["10.96.0.40", "fd00:10:96::40"],
        ports: [{ name: "http", port: 80, protocol: "TCP" }],
      }),
      service("kube-system", "kube-dns", { clusterIP: "10.96.0.10", clusterIPs: ["10.96.0.10"] }),
    ],
    endpointSlices: [
      slice(
        "shop",
        "db",
        "db-abc",
        [
          { ip: "10.244.1.5", hostname: "db-0" },
          { ip: "10.244.2.6", pod: "db-1" },
          { ip: "10.244.1.7" },
          { ip: "10.244.2.8", ready: false, hostname: "db-3" },
        ],
        [{ name: "pg", port: 5432, protocol: "TCP" }],
      ),
      slice("shop", "empty", "empty-1", [{ ip: "10.244.1.9", ready: false }], [{ name: "x", port: 1 }]),
      slice("shop", "web", "web-1", [{ ip: "10.244.1.20" }], [{ name: "http", port: 8080, protocol: "TCP" }]),
    ],
    pods: [
      pod("shop", "db-1", { hostname: "db-1", subdomain: "db" }),
      pod("shop", "other", { hostname: "h" }),
    ],
  };
}
