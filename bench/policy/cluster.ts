/**
 * The cluster of the policy benchmark, as store objects: 1,000 pods in 50 namespaces from the
 * analyzer's seeded generator (Deployment-like label sets, namespaces labelled by team and
 * env) spread over 10 nodes, 100 per node as on a full node (kubelet's default limit is 110), one of
 * them the benchmark's node, whose table holds the elements of its isolated pods (they exist
 * in the model, not as network namespaces); the two measured pods on that node in namespace
 * `bench`; and policies: none, or 999 random ones (every
 * selector, peer and port form) plus one that isolates both measured pods in both directions
 * and allows exactly their connection (client egress to server, server ingress from client,
 * TCP 8000), so each new connection takes the policy table's longest path.
 */

import { randomCluster, randomPolicy, rng } from "../../src/analyzer/random-cluster.js";
import type { KObject } from "../../src/cluster/types.js";
import { CLIENT_IP, SERVER_IP } from "./topology.js";

export const BENCH_NODE = "bench-node";
/** Nodes the generated pods spread over, round robin: 100 per node (kubelet's default max is 110). */
export const NODES = 10;
const nodeOf = (k: number) => (k % NODES === 0 ? BENCH_NODE : `node-${k % NODES}`);
export const SERVER_PORT = 8000;
type ContainerPort = { name: string; containerPort: number; protocol?: string };
const OPTS = { namespaces: 50, podsPerNamespace: 20, appsPerNamespace: 5 };

function pod(
  ns: string,
  name: string,
  ip: string,
  node: string,
  labels: Record<string, string>,
  ports: ContainerPort[],
): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels },
    spec: { nodeName: node, containers: [{ name: "c", image: "x", ports }] },
    status: { phase: "Running", podIP: ip, podIPs: [{ ip }] },
  };
}

/** Namespaces and pods: the generated 1,000 and the two measured ones. */
export function clusterObjects(): KObject[] {
  const c = randomCluster(7, OPTS);
  const out: KObject[] = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "bench", labels: { team: "bench" } } },
    ...c.namespaces.map(
      (n): KObject => ({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: n.name, labels: { ...n.labels } },
      }),
    ),
  ];
  let k = 0;
  for (const p of c.pods) {
    if (!p.ips.length) continue;
    const ports = p.namedPorts.map((np) => ({
      name: np.name,
      containerPort: np.port,
      protocol: np.protocol,
    }));
    out.push(pod(p.namespace, p.name, p.ips[0]!, nodeOf(k++), { ...p.labels }, ports));
  }
  const serve: ContainerPort[] = [{ name: "serve", containerPort: SERVER_PORT }];
  out.push(pod("bench", "client", CLIENT_IP, BENCH_NODE, { role: "client" }, []));
  out.push(pod("bench", "server", SERVER_IP, BENCH_NODE, { role: "server" }, serve));
  return out;
}

const policyObject = (np: { metadata: { name: string; namespace?: string }; spec: unknown }): KObject => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: np.metadata.name, namespace: np.metadata.namespace },
  spec: np.spec,
});

export const BENCH_POLICY: KObject = policyObject({
  metadata: { name: "client-to-server", namespace: "bench" },
  spec: {
    podSelector: {},
    policyTypes: ["Ingress", "Egress"],
    ingress: [
      { from: [{ podSelector: { matchLabels: { role: "client" } } }], ports: [{ port: SERVER_PORT }] },
    ],
    egress: [{ to: [{ podSelector: { matchLabels: { role: "server" } } }], ports: [{ port: SERVER_PORT }] }],
  },
});

/** `count` random policies (seeded), named r0, r1, ... */
export function randomPolicies(count: number, seed = 99): KObject[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, k) => policyObject(randomPolicy(r, OPTS, `r${k}`)));
}
