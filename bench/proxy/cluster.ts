/**
 * Synthetic Services for the proxy benchmark: N ClusterIP Services with one TCP port each and
 * E endpoints in one EndpointSlice, spread over 10 nodes (so a tenth are local to the node
 * under test, as on a 10-node cluster). Addresses are unique and deterministic; endpoint
 * addresses sit outside every real path of the benchmark, so filler Services never carry
 * traffic. The same list feeds flatnet's proxy (as store objects) and the kube-proxy-shaped
 * peer (bench/proxy/peer.ts).
 */
import type { KObject } from "../../src/cluster/types.js";

export const BENCH_NAMESPACE = "bench";
export const PROXY_NODE = "node-0";

export interface SyntheticService {
  name: string;
  clusterIP: string;
  port: number;
  endpoints: Array<{ ip: string; port: number; node: string }>;
}

function ipFrom(base: number, n: number): string {
  const v = base + n;
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** 10.97.0.0 upwards: inside 10.96.0.0/12, clear of the bench's own Services at 10.96.0.x. */
const VIP_BASE = (10 << 24) | (97 << 16);
/** 10.128.0.0 upwards: routed nowhere. */
const ENDPOINT_BASE = (10 << 24) | (128 << 16);

export function syntheticServices(count: number, endpointsPerService: number): SyntheticService[] {
  const out: SyntheticService[] = [];
  for (let i = 0; i < count; i++) {
    const endpoints = [];
    for (let j = 0; j < endpointsPerService; j++) {
      endpoints.push({
        ip: ipFrom(ENDPOINT_BASE, i * endpointsPerService + j),
        port: 8080,
        node: `node-${j % 10}`,
      });
    }
    out.push({ name: `svc-${i}`, clusterIP: ipFrom(VIP_BASE, i), port: 80, endpoints });
  }
  return out;
}

export function serviceObject(s: SyntheticService, namespace = BENCH_NAMESPACE): KObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: s.name, namespace },
    spec: {
      type: "ClusterIP",
      clusterIP: s.clusterIP,
      clusterIPs: [s.clusterIP],
      ports: [{ name: "http", port: s.port, protocol: "TCP", targetPort: s.endpoints[0]?.port ?? s.port }],
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
    },
  };
}

/** The Service's EndpointSlices: one per distinct endpoint port (a slice has one port list). */
export function sliceObjects(s: SyntheticService, namespace = BENCH_NAMESPACE): KObject[] {
  const ports = [...new Set(s.endpoints.map((e) => e.port))];
  return ports.map((port, i) => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${s.name}-bench${i === 0 ? "" : `-${i}`}`,
      namespace,
      labels: {
        "kubernetes.io/service-name": s.name,
        "endpointslice.kubernetes.io/managed-by": "flatnet-bench",
      },
    },
    addressType: "IPv4",
    ports: [{ name: "http", port, protocol: "TCP" }],
    endpoints: s.endpoints
      .filter((e) => e.port === port)
      .map((e) => ({
        addresses: [e.ip],
        nodeName: e.node,
        conditions: { ready: true, serving: true, terminating: false },
      })),
  }));
}
