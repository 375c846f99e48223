// The EndpointSlice controller against the real store: creates, updates on pod changes,
// deletes with the Service, reverts tampering, and leaves others' slices alone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Store } from "../store.js";
import type { KObject } from "../types.js";
import { EndpointSliceController } from "./endpointslice-controller.js";
import { SERVICE_NAME_LABEL } from "./endpointslice-desired.js";

// Controllers coalesce events on a 10 ms timer.
const tick = () => new Promise((r) => setTimeout(r, 30));

function pod(name: string, ip: string, ready = true): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { app: "web" } },
    spec: { nodeName: "node-1", containers: [{ name: "c" }] },
    status: {
      phase: "Running",
      podIP: ip,
      conditions: [{ type: "Ready", status: ready ? "True" : "False" }],
    },
  };
}

const service: KObject = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default" },
  spec: {
    selector: { app: "web" },
    clusterIP: "10.96.0.5",
    ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }],
  },
};

function addresses(store: Store): string[] {
  return store
    .list("EndpointSlice", "default")
    .filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === "web")
    .flatMap((s) =>
      (s.endpoints as Array<{ addresses: string[]; conditions: { ready: boolean } }>).map(
        (e) => `${e.addresses[0]}:${e.conditions.ready}`,
      ),
    )
    .sort();
}

describe("EndpointSliceController", () => {
  it("follows pods and the Service, and settles", async () => {
    const store = new Store();
    const c = new EndpointSliceController(store);
    c.start();
    store.apply(pod("a", "10.244.1.2"));
    store.apply(service);
    await tick();
    assert.deepEqual(addresses(store), ["10.244.1.2:true"]);
    store.apply(pod("b", "10.244.1.3", false));
    await tick();
    assert.deepEqual(addresses(store), ["10.244.1.2:true", "10.244.1.3:false"]);
    store.updateStatus("Pod", "default", "b", { ...pod("b", "10.244.1.3").status });
    await tick();
    assert.deepEqual(addresses(store), ["10.244.1.2:true", "10.244.1.3:true"]);
    store.delete("Pod", "default", "a");
    await tick();
    assert.deepEqual(addresses(store), ["10.244.1.3:true"]);

    let writes = 0;
    store.watch((ev) => {
      if (ev.object.kind === "EndpointSlice") writes++;
    });
    store.apply(service);
    await tick();
    assert.equal(writes, 0, "re-applying an unchanged Service writes no slice");

    store.delete("Service", "default", "web");
    await tick();
    assert.deepEqual(store.list("EndpointSlice"), [], "slices go with their Service");
    c.stop();
  });

  it("puts back a managed slice someone edited, and ignores slices it does not manage", async () => {
    const store = new Store();
    store.apply(pod("a", "10.244.1.2"));
    store.apply(service);
    const c = new EndpointSliceController(store);
    c.start();
    await tick();
    const [slice] = store.list("EndpointSlice");
    store.apply({ ...slice!, endpoints: [] });
    await tick();
    assert.deepEqual(addresses(store), ["10.244.1.2:true"]);
    const manual: KObject = {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "web-manual", namespace: "default", labels: { [SERVICE_NAME_LABEL]: "web" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["192.0.2.1"] }],
      ports: [{ port: 80 }],
    };
    store.apply(manual);
    store.delete("Pod", "default", "a");
    await tick();
    assert.ok(store.get("EndpointSlice", "default", "web-manual"), "a user's slice stays");
    c.stop();
  });
});
