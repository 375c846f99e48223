// The store's sharing rules: one frozen object per version, handed to watchers and to
// peek/scan readers without a copy; get/list copies the caller may change; list in key order.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Store } from "./store.js";
import type { KObject, WatchEvent } from "./types.js";

const pod = (name: string, ns = "default", labels: Record<string, string> = {}): KObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: ns, labels },
  spec: { containers: [{ name: "c", image: "x" }] },
});

describe("Store", () => {
  it("gives watchers the stored object itself, frozen, and peek/scan the same one", () => {
    const store = new Store();
    const seen: WatchEvent[] = [];
    store.watch((ev) => seen.push(ev));
    store.apply(pod("a"));
    store.updateStatus("Pod", "default", "a", { phase: "Running" });
    const stored = store.peek("Pod", "default", "a")!;
    assert.equal(seen.length, 2);
    assert.equal(seen[1]!.object, stored);
    assert.ok(Object.isFrozen(stored) && Object.isFrozen(stored.metadata) && Object.isFrozen(stored.status));
    assert.throws(() => {
      (stored.metadata as { name: string }).name = "b";
    }, TypeError);
    assert.deepEqual([...store.scan("Pod")], [stored]);
    // The first version is unchanged by the second (a watcher may keep it).
    assert.equal(seen[0]!.object.status, undefined);
  });

  it("get and list return copies the caller may change", () => {
    const store = new Store();
    store.apply(pod("a", "default", { app: "x" }));
    const got = store.get("Pod", "default", "a")!;
    got.metadata.labels!.app = "changed";
    const listed = store.list("Pod")[0]!;
    listed.metadata.labels!.app = "changed too";
    assert.equal(store.peek("Pod", "default", "a")!.metadata.labels!.app, "x");
    const applied = store.apply(pod("b"));
    applied.metadata.name = "c";
    assert.ok(store.peek("Pod", "default", "b"));
  });

  it("keeps status across re-apply, lists one kind in key order, scans by namespace", () => {
    const store = new Store();
    for (const [name, ns] of [
      ["web-2", "shop"],
      ["web-10", "shop"],
      ["Api", "default"],
      ["db", "data"],
    ] as const)
      store.apply(pod(name, ns));
    store.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
    store.updateStatus("Pod", "shop", "web-2", { phase: "Running", podIP: "10.244.0.2" });
    const again = store.apply(pod("web-2", "shop", { new: "label" }));
    assert.equal(again.status.podIP, "10.244.0.2");
    assert.equal(again.metadata.generation, 1);
    const keys = store.list("Pod").map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    const sorted = [...keys].sort((a, b) => `Pod/${a}`.localeCompare(`Pod/${b}`));
    assert.deepEqual(keys, sorted);
    assert.equal(keys.length, 4);
    assert.deepEqual([...store.scan("Pod", "shop")].map((p) => p.metadata.name).sort(), ["web-10", "web-2"]);
    assert.deepEqual([...store.scan("Service")], []);
    store.delete("Pod", "shop", "web-2");
    assert.deepEqual(
      [...store.scan("Pod", "shop")].map((p) => p.metadata.name),
      ["web-10"],
    );
    assert.equal(store.peek("Pod", "shop", "web-2"), undefined);
  });

  it("delivers events in commit order to every watcher, also when a watcher writes from its callback", () => {
    const store = new Store();
    const seen: Array<[string, string, string]> = [];
    // The first watcher deletes a pod as soon as it sees it modified (a kubelet cleaning up).
    store.watch((ev) => {
      seen.push(["first", ev.type, ev.object.metadata.resourceVersion!]);
      if (ev.type === "MODIFIED" && ev.object.kind === "Pod") store.delete("Pod", "d", "p");
    });
    store.watch((ev) => seen.push(["second", ev.type, ev.object.metadata.resourceVersion!]));
    const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "d" }, spec: {} };
    store.apply(pod);
    store.apply({ ...pod, spec: { nodeName: "n1" } });
    const second = seen.filter(([w]) => w === "second").map(([, t]) => t);
    assert.deepEqual(
      second,
      ["ADDED", "MODIFIED", "DELETED"],
      "not DELETED before the MODIFIED that caused it",
    );
    const first = seen.filter(([w]) => w === "first").map(([, t]) => t);
    assert.deepEqual(first, ["ADDED", "MODIFIED", "DELETED"]);
    assert.equal(store.peek("Pod", "d", "p"), undefined);
  });

  it("a watcher that throws does not cost the others their events; the writer hears of it", () => {
    const store = new Store();
    const seen: string[] = [];
    store.watch(() => {
      throw new Error("watcher bug");
    });
    store.watch((ev) => seen.push(ev.type));
    const ns = { apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } };
    assert.throws(() => store.apply(ns), /watcher bug/);
    assert.deepEqual(seen, ["ADDED"]);
    assert.throws(() => store.apply(ns), /watcher bug/, "and the store keeps delivering afterwards");
    assert.deepEqual(seen, ["ADDED", "MODIFIED"]);
  });
});
