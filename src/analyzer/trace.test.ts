/**
 * trace from manifests: hops derived from the backends' desired() (VXLAN neighbour/FDB to the
 * peer's node IP, host-gw direct routes), the bridge for same-node pods, policy hops naming
 * rules or isolating policies, and every verdict: delivered, dropped, rejected, unroutable.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseManifestText } from "../api/index.js";
import { vtepMACFor } from "../backends/vtep.js";
import { snapshotFromObjects } from "./snapshot.js";
import { type Trace, traceConnection } from "./trace.js";
import { parseTarget, resolvePod, resolveTarget } from "./trace-target.js";

function cluster(backend: string, extra = ""): string {
  const pod = (ns: string, name: string, node: string) => `---
apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${ns}, labels: { app: ${name} } }
spec:
  nodeName: ${node}
  containers: [{ name: c, image: x, ports: [{ name: http, containerPort: 80 }, { containerPort: 53, protocol: UDP }] }]
`;
  return `apiVersion: flatnet.dev/v1alpha1
kind: Cluster
networking: { backend: ${backend} }
---
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { team: shop } }
${pod("shop", "web", "node-1")}${pod("shop", "db", "node-2")}${pod("shop", "cache", "node-1")}${pod("default", "client", "node-1")}${extra}`;
}

function run(text: string, src: string, target: string): Trace {
  const snap = snapshotFromObjects(parseManifestText(text, "t.yaml"));
  const t = parseTarget(target);
  return traceConnection(snap, {
    src: resolvePod(snap, src, "default"),
    target: resolveTarget(snap, t.name, "default"),
    port: t.port,
    protocol: t.protocol,
  });
}

const stages = (t: Trace) => t.hops.map((h) => `${h.node}:${h.stage}`);

const dbPolicy = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: db-from-web, namespace: shop }
spec:
  podSelector: { matchLabels: { app: db } }
  ingress: [{ from: [{ podSelector: { matchLabels: { app: web } } }], ports: [{ port: http }] }]
`;

describe("trace", () => {
  test("cross-node over vxlan: route, VXLAN to the peer's VTEP, decap, delivered", () => {
    const t = run(cluster("vxlan"), "shop/web", "shop/db");
    assert.equal(t.verdict, "delivered");
    assert.deepEqual(stages(t), [
      "node-1:source",
      "node-1:egress-policy",
      "node-1:route",
      "node-1:encap",
      "node-2:decap",
      "node-2:ingress-policy",
      "node-2:deliver",
    ]);
    assert.match(t.hops[0]!.detail, /default via 10\.244\.0\.1 \(cni0 on node-1\)/);
    assert.equal(t.hops[2]!.detail, "10.244.1.0/24 via 10.244.1.0 dev flannel.1 onlink (vxlan)");
    assert.ok(t.hops[3]!.detail.includes(`lladdr ${vtepMACFor("node-2")}`));
    assert.match(
      t.hops[3]!.detail,
      /VNI 1 UDP 8472 to node-2: .* outer 172\.18\.0\.2 -> 172\.18\.0\.3 on eth0 \(MTU 1450\)/,
    );
    assert.equal(t.reason, "shop/db accepts TCP/80");
  });

  test("cross-node over host-gw: a direct route to the peer's node IP", () => {
    const t = run(cluster("host-gw"), "shop/web", "shop/db");
    assert.equal(t.verdict, "delivered");
    assert.deepEqual(stages(t), [
      "node-1:source",
      "node-1:egress-policy",
      "node-1:route",
      "node-2:forward",
      "node-2:ingress-policy",
      "node-2:deliver",
    ]);
    assert.equal(
      t.hops[2]!.detail,
      "10.244.1.0/24 via 172.18.0.3 dev eth0 (host-gw): to node-2 unencapsulated",
    );
  });

  test("same node: bridged, never routed", () => {
    const t = run(cluster("vxlan"), "shop/web", "shop/cache");
    assert.deepEqual(stages(t), [
      "node-1:source",
      "node-1:egress-policy",
      "node-1:bridge",
      "node-1:ingress-policy",
      "node-1:deliver",
    ]);
    assert.match(t.hops[0]!.detail, /is on-link \(10\.244\.0\.0\/24 dev eth0\)/);
  });

  test("ingress policy: the rule that allows, or the isolating policies and a drop", () => {
    const allowed = run(cluster("vxlan", dbPolicy), "shop/web", "shop/db");
    const hop = allowed.hops.find((h) => h.stage === "ingress-policy")!;
    assert.deepEqual(hop.allowedBy, [
      { policy: "shop/db-from-web", direction: "ingress", rule: 0, peer: 0, port: 0 },
    ]);
    assert.deepEqual(hop.isolatedBy, ["shop/db-from-web"]);
    assert.equal(hop.detail, "allowed by shop/db-from-web spec.ingress[0] from[0] ports[0]");
    const dropped = run(cluster("vxlan", dbPolicy), "shop/cache", "shop/db");
    assert.equal(dropped.verdict, "dropped");
    assert.equal(dropped.hops.at(-1)!.stage, "ingress-policy");
    assert.equal(
      dropped.reason,
      "shop/db's ingress is isolated by policy shop/db-from-web; no rule allows TCP/80 from shop/cache",
    );
    const udp = run(cluster("vxlan", dbPolicy), "shop/web", "shop/db:53/udp");
    assert.equal(udp.verdict, "dropped", "the named port is TCP/80 only");
  });

  test("egress policy drops on the source node before any routing", () => {
    const deny = `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: no-egress, namespace: default }
spec: { podSelector: {}, policyTypes: [Egress] }
`;
    const t = run(cluster("vxlan", deny), "client", "shop/db");
    assert.equal(t.verdict, "dropped");
    assert.deepEqual(stages(t), ["node-1:source", "node-1:egress-policy"]);
    assert.deepEqual(t.hops[1]!.isolatedBy, ["default/no-egress"]);
    assert.match(
      t.reason,
      /default\/client's egress is isolated by policy default\/no-egress; no rule allows TCP\/80 to shop\/db/,
    );
  });

  test("nothing listening: rejected (TCP reset, ICMP port unreachable)", () => {
    const tcp = run(cluster("vxlan"), "shop/web", "shop/db:81");
    assert.equal(tcp.verdict, "rejected");
    assert.match(
      tcp.hops.at(-1)!.detail,
      /nothing listens on TCP\/81 in shop\/db: its kernel answers with a TCP reset/,
    );
    const udp = run(cluster("vxlan"), "shop/web", "shop/db:80/UDP");
    assert.match(udp.hops.at(-1)!.detail, /ICMP port unreachable/);
  });

  test("loopback to the pod's own IP skips policy", () => {
    const t = run(cluster("vxlan", dbPolicy), "shop/db", "10.244.1.2");
    assert.deepEqual(stages(t), ["node-2:loopback", "node-2:deliver"]);
    assert.equal(t.verdict, "delivered");
  });

  test("unroutable: a free pod address, an address outside the lab, a pod that does not run", () => {
    const free = run(cluster("vxlan"), "shop/web", "10.244.1.99");
    assert.equal(free.verdict, "unroutable");
    assert.equal(free.reason, "no pod on node-2 has 10.244.1.99: ARP on cni0 gets no answer");
    const outside = run(cluster("vxlan"), "shop/web", "8.8.8.8");
    assert.equal(outside.reason, "node-1 has no route to 8.8.8.8");
    const lost = `---
apiVersion: v1
kind: Pod
metadata: { name: lost, namespace: default }
spec: { nodeName: node-7, containers: [{ name: c, image: x }] }
`;
    const fromLost = run(cluster("vxlan", lost), "lost", "shop/db");
    assert.equal(fromLost.verdict, "unroutable");
    assert.match(fromLost.reason, /default\/lost does not run: node "node-7"/);
    assert.match(run(cluster("vxlan", lost), "client", "lost").reason, /default\/lost has no IP/);
  });

  test("node addresses and the external client on the underlay", () => {
    const peerNode = run(cluster("vxlan"), "shop/web", "172.18.0.3");
    assert.equal(peerNode.verdict, "delivered");
    assert.equal(peerNode.reason, "172.18.0.3 is node node-2");
    assert.equal(
      run(cluster("vxlan"), "shop/web", "172.18.0.2").reason,
      "172.18.0.2 is node node-1, where shop/web runs",
    );
    assert.equal(
      run(cluster("vxlan"), "shop/web", "172.18.255.254").reason,
      "172.18.255.254 is the lab's external client",
    );
    assert.equal(run(cluster("vxlan"), "shop/web", "172.18.9.9").verdict, "unroutable");
  });
});

describe("trace targets", () => {
  test("parseTarget: pod, namespace/pod, IPs, ports and protocols", () => {
    assert.deepEqual(parseTarget("b"), { name: "b", port: 80, protocol: "TCP" });
    assert.deepEqual(parseTarget("y/b:81/udp"), { name: "y/b", port: 81, protocol: "UDP" });
    assert.deepEqual(parseTarget("10.244.1.2:53/UDP"), { name: "10.244.1.2", port: 53, protocol: "UDP" });
    assert.deepEqual(parseTarget("fd00::1"), { name: "fd00::1", port: 80, protocol: "TCP" });
    assert.deepEqual(parseTarget("[fd00::1]:443"), { name: "fd00::1", port: 443, protocol: "TCP" });
    assert.deepEqual(parseTarget("y/b/sctp"), { name: "y/b", port: 80, protocol: "SCTP" });
    assert.throws(() => parseTarget("b:0"), /invalid port "0"/);
    assert.throws(() => parseTarget(":80"), /names nothing/);
  });

  test("resolving: missing pods list what is there; a Service is a target, not a source", () => {
    const svc = `---
apiVersion: v1
kind: Service
metadata: { name: front, namespace: shop }
spec: { selector: { app: web }, ports: [{ port: 80 }] }
`;
    const snap = snapshotFromObjects(parseManifestText(cluster("vxlan", svc), "t.yaml"));
    assert.throws(
      () => resolvePod(snap, "shop/nope", "default"),
      /pod "nope" not found in namespace "shop".*cache, db, web/,
    );
    assert.throws(() => resolvePod(snap, "ghost", "empty"), /namespace "empty" has no pods/);
    assert.deepEqual(resolveTarget(snap, "front", "shop"), {
      service: snap.services.findIndex((s) => s.metadata.name === "front"),
    });
    assert.throws(() => resolvePod(snap, "shop/front", "default"), /shop\/front is a Service, not a pod/);
    assert.deepEqual(resolveTarget(snap, "10.9.9.9", "shop"), { ip: "10.9.9.9" });
  });
});
