/**
 * trace to a Service, from manifests: the "service" hop lists the endpoints the source node's
 * proxy DNATs to (targetPort resolved per pod, 1/N each) with each endpoint's own verdict,
 * then the path to the first one is followed, routed by the node even to a local pod, with
 * policy judged on the backend; by name or by ClusterIP; a port the Service lacks, a Service
 * with no endpoint (rejected) and internalTrafficPolicy Local with none on the node (dropped).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseManifestText } from "../api/index.js";
import { snapshotFromObjects } from "./snapshot.js";
import { type Trace, traceConnection } from "./trace.js";
import { parseTarget, resolvePod, resolveTarget } from "./trace-target.js";

const pod = (name: string, node: string, labels: string) => `---
apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: shop, labels: { ${labels} } }
spec:
  nodeName: ${node}
  containers: [{ name: c, image: x, ports: [{ name: http, containerPort: 8080 }] }]
`;

const service = (name: string, spec: string) => `---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: shop }
spec: ${spec}
`;

const MANIFESTS = `apiVersion: flatnet.dev/v1alpha1
kind: Cluster
networking: { backend: vxlan }
---
apiVersion: v1
kind: Namespace
metadata: { name: shop }
${pod("client", "node-1", "app: client")}${pod("web-1", "node-1", "app: web")}${pod("web-2", "node-2", "app: web, locked: 'yes'")}${service(
  "web",
  "{ clusterIP: 10.96.0.50, selector: { app: web }, ports: [{ port: 80, targetPort: http }] }",
)}${service("nobody", "{ selector: { app: none }, ports: [{ port: 80 }] }")}${service(
  "local",
  "{ selector: { locked: 'yes' }, internalTrafficPolicy: Local, ports: [{ port: 80, targetPort: 8080 }] }",
)}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: locked, namespace: shop }
spec:
  podSelector: { matchLabels: { locked: "yes" } }
`;

function run(target: string): Trace {
  const snap = snapshotFromObjects(parseManifestText(MANIFESTS, "t.yaml"));
  const t = parseTarget(target);
  return traceConnection(snap, {
    src: resolvePod(snap, "client", "shop"),
    target: resolveTarget(snap, t.name, "shop"),
    port: t.port,
    protocol: t.protocol,
  });
}

describe("trace to a Service", () => {
  test("lists the endpoints with 1/N each and their verdicts, follows the first, routed by the node", () => {
    const t = run("web:80");
    assert.equal(t.verdict, "delivered");
    assert.deepEqual(
      t.hops.map((h) => `${h.node}:${h.stage}`),
      [
        "node-1:source",
        "node-1:service",
        "node-1:egress-policy",
        "node-1:route",
        "node-1:ingress-policy",
        "node-1:deliver",
      ],
    );
    assert.match(t.hops[0]!.detail, /sends TCP\/80 to Service shop\/web \(10\.96\.0\.50:80\)/);
    const svc = t.hops[1]!;
    assert.deepEqual(
      svc.endpoints!.map((e) => [e.pod, e.port, e.node, e.probability, e.verdict]),
      [
        ["shop/web-1", 8080, "node-1", 0.5, "delivered"],
        ["shop/web-2", 8080, "node-2", 0.5, "dropped"],
      ],
    );
    assert.match(svc.endpoints![1]!.reason, /isolated by policy shop\/locked/);
    assert.match(svc.detail, /DNATs 10\.96\.0\.50:80 to one of 2 endpoints, 1\/2 each: .*1 of 2 deliver/);
    assert.match(t.hops[3]!.detail, /dev cni0 \(this node's pods\): to shop\/web-1/);
    assert.match(t.hops.at(-1)!.detail, /accepts TCP\/8080/);
  });

  test("the ClusterIP means the Service", () => {
    const t = run("10.96.0.50:80");
    assert.equal(t.hops[1]!.stage, "service");
    assert.equal(t.hops[1]!.endpoints!.length, 2);
  });

  test("a port the Service does not have is unroutable, naming the ports it has", () => {
    const t = run("web:81");
    assert.equal(t.verdict, "unroutable");
    assert.match(t.reason, /Service shop\/web has no port TCP\/81 \(it has 80\/TCP\)/);
  });

  test("no endpoint: rejected; internalTrafficPolicy Local with none on this node: dropped", () => {
    const none = run("nobody:80");
    assert.equal(none.verdict, "rejected");
    assert.match(none.hops[1]!.detail, /no ready endpoint for TCP\/80: new connections are rejected/);
    const local = run("local:80");
    assert.equal(local.verdict, "dropped");
    assert.match(local.reason, /no endpoint for TCP\/80 on node-1 \(internalTrafficPolicy Local\)/);
    assert.match(local.hops[0]!.detail, /its ClusterIP, port 80/);
  });
});
