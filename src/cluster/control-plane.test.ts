import assert from "node:assert/strict";
import { test } from "node:test";
import { ControlPlane } from "./control-plane.js";
import type { KObject } from "./types.js";

// Controllers coalesce events on a 10 ms timer.
const tick = () => new Promise((r) => setTimeout(r, 30));

function node(name: string): KObject {
  return { apiVersion: "v1", kind: "Node", metadata: { name }, spec: {} };
}

function pod(name: string, namespace = "default", extra: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { app: name } },
    spec: { containers: [{ name: "c", image: "i" }], ...extra },
  };
}

function deployment(name: string, replicas: number): KObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: "default" },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "c", image: "i" }] } },
    },
  };
}

test("nodes get podCIDRs in order; pods spread over them", async () => {
  const cp = new ControlPlane({ podSubnet: "10.244.0.0/16", nodeCIDRMaskSize: 24 });
  cp.apply([node("node-1"), node("node-2")]);
  assert.equal(cp.store.get("Node", undefined, "node-1")?.spec.podCIDR, "10.244.0.0/24");
  assert.equal(cp.store.get("Node", undefined, "node-2")?.spec.podCIDR, "10.244.1.0/24");
  cp.apply([deployment("web", 4)]);
  await tick();
  const pods = cp.store.list("Pod");
  assert.equal(pods.length, 4);
  const perNode = new Map<string, number>();
  for (const p of pods) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  assert.deepEqual([...perNode.values()], [2, 2]);
});

test("apply is all or nothing: a pod in a missing namespace rejects the whole apply", () => {
  const cp = new ControlPlane({ podSubnet: "10.244.0.0/16", nodeCIDRMaskSize: 24 });
  assert.throws(() => cp.apply([pod("ok"), pod("bad", "nowhere")]), /namespace "nowhere" not found/);
  assert.equal(cp.store.list("Pod").length, 0);
});

test("re-applying a pod with new labels keeps its status and binding; spec changes are refused", () => {
  const cp = new ControlPlane({ podSubnet: "10.244.0.0/16", nodeCIDRMaskSize: 24 });
  cp.apply([node("node-1"), pod("a")]);
  cp.store.updateStatus("Pod", "default", "a", { phase: "Running", podIP: "10.244.0.2" });
  const relabelled = pod("a");
  relabelled.metadata.labels = { app: "a", tier: "new" };
  assert.equal(cp.apply([relabelled])[0]?.action, "configured");
  const stored = cp.store.get("Pod", "default", "a")!;
  assert.equal(stored.status.podIP, "10.244.0.2");
  assert.equal(stored.spec.nodeName, "node-1");
  assert.equal(stored.metadata.labels?.tier, "new");
  assert.throws(
    () => cp.apply([pod("a", "default", { hostNetwork: true })]),
    /pod updates may not change fields/,
  );
});

test("pods that do not fit stay Pending with the reason; the rest run", () => {
  const cp = new ControlPlane({ podSubnet: "10.244.0.0/16", nodeCIDRMaskSize: 29 });
  cp.apply([node("node-1")]); // a /29 holds 8 - 3 = 5 pods
  cp.apply(Array.from({ length: 7 }, (_, i) => pod(`p${i}`)));
  const pods = cp.store.list("Pod");
  assert.equal(pods.filter((p) => p.spec.nodeName).length, 5);
  const pending = pods.filter((p) => !p.spec.nodeName);
  assert.equal(pending.length, 2);
  assert.match(pending[0]!.status.conditions[0].message, /no free pod address/);
});

test("deleting a bound pod marks it terminating; the Deployment controller replaces deleted pods", async () => {
  const cp = new ControlPlane({ podSubnet: "10.244.0.0/16", nodeCIDRMaskSize: 24 });
  cp.apply([node("node-1"), deployment("web", 2)]);
  await tick();
  const [first] = cp.store.list("Pod");
  cp.delete([{ kind: "Pod", namespace: "default", name: first!.metadata.name }]);
  assert.ok(cp.store.get("Pod", "default", first!.metadata.name)?.metadata.deletionTimestamp, "graceful");
  cp.store.delete("Pod", "default", first!.metadata.name); // the node finished tearing it down
  await tick();
  assert.equal(cp.store.list("Pod").length, 2, "recreated with the same deterministic name");
  cp.apply([deployment("web", 1)]);
  await tick();
  assert.equal(cp.store.list("Pod").filter((p) => !p.metadata.deletionTimestamp).length, 1, "scaled down");
});

test("a node's pods go with it and its podCIDR is released", () => {
  const cp = new ControlPlane({ podSubnet: "10.244.0.0/16", nodeCIDRMaskSize: 24 });
  cp.apply([node("node-1"), node("node-2"), pod("a", "default", { nodeName: "node-2" })]);
  cp.delete([{ kind: "Node", name: "node-2" }]);
  assert.equal(cp.store.list("Pod").length, 0);
  cp.apply([node("node-3")]);
  assert.equal(cp.store.get("Node", undefined, "node-3")?.spec.podCIDR, "10.244.1.0/24");
});
