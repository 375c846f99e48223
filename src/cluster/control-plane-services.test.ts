// Services through the control plane: allocation at admission, all-or-nothing applies,
// release on delete, and EndpointSlices following pods.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ControlPlane } from "./control-plane.js";
import type { KObject } from "./types.js";

// Controllers coalesce events on a 10 ms timer.
const tick = () => new Promise((r) => setTimeout(r, 30));

function svc(name: string, spec: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default" },
    spec: {
      type: "ClusterIP",
      selector: { app: name },
      ports: [{ port: 80, protocol: "TCP", targetPort: 8080 }],
      ...spec,
    },
  };
}

describe("ControlPlane Services", () => {
  it("allocates ClusterIPs and NodePorts from the configured ranges", () => {
    const cp = new ControlPlane({
      podSubnet: "10.244.0.0/16",
      nodeCIDRMaskSize: 24,
      serviceSubnet: "10.100.0.0/16",
      nodePortRange: "31000-31010",
    });
    cp.apply([
      svc("kubernetes", { selector: undefined, ports: [{ name: "https", port: 443, protocol: "TCP" }] }),
    ]);
    assert.equal(cp.store.get("Service", "default", "kubernetes")?.spec.clusterIP, "10.100.0.1");
    cp.apply([svc("web", { type: "NodePort" })]);
    const web = cp.store.get("Service", "default", "web")!;
    assert.match(web.spec.clusterIP, /^10\.100\./);
    assert.ok(web.spec.ports[0].nodePort >= 31000 && web.spec.ports[0].nodePort <= 31010);
  });

  it("a rejected apply stores nothing and allocates nothing", () => {
    const cp = new ControlPlane({ podSubnet: "10.244.0.0/16", nodeCIDRMaskSize: 24 });
    cp.apply([svc("taken", { clusterIP: "10.96.1.1" })]);
    assert.throws(
      () =>
        cp.apply([
          svc("a", { clusterIP: "10.96.2.2", type: "NodePort", ports: [{ port: 80, nodePort: 30100 }] }),
          svc("b", { clusterIP: "10.96.1.1" }),
        ]),
      /Service default\/b: spec\.clusterIP: .*already allocated to default\/taken/,
    );
    assert.equal(cp.store.get("Service", "default", "a"), undefined);
    // Everything "a" asked for is still free.
    cp.apply([
      svc("c", { clusterIP: "10.96.2.2", type: "NodePort", ports: [{ port: 80, nodePort: 30100 }] }),
    ]);
    assert.equal(cp.store.get("Service", "default", "c")?.spec.ports[0].nodePort, 30100);
  });

  it("deleting a Service frees its address and removes its slices", async () => {
    const cp = new ControlPlane({ podSubnet: "10.244.0.0/16", nodeCIDRMaskSize: 24 });
    cp.apply([svc("web", { clusterIP: "10.96.3.3" })]);
    await tick();
    assert.equal(cp.store.list("EndpointSlice").length, 1, "an empty placeholder slice");
    cp.delete([{ kind: "Service", namespace: "default", name: "web" }]);
    await tick();
    assert.deepEqual(cp.store.list("EndpointSlice"), []);
    cp.apply([svc("again", { clusterIP: "10.96.3.3" })]);
    assert.equal(cp.store.get("Service", "default", "again")?.spec.clusterIP, "10.96.3.3");
  });
});
