// ClusterIP/NodePort admission: well-known addresses, requests, immutability, headless,
// ExternalName, nodePort reuse and release, and trial copies that leave the original alone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seededRandom } from "../../ipam/random.js";
import type { KObject } from "../types.js";
import { ServiceAllocations } from "./service-allocation.js";

function svc(name: string, spec: Record<string, unknown>, namespace = "default"): KObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { type: "ClusterIP", ports: [{ name: "http", port: 80, protocol: "TCP" }], ...spec },
  };
}

const fresh = () => ServiceAllocations.create("10.96.0.0/12", "30000-32767", seededRandom(7));

describe("ServiceAllocations", () => {
  it("gives default/kubernetes the first address and others a free one", () => {
    const a = fresh();
    const k = a.admit(svc("kubernetes", {}), undefined);
    assert.equal(k.spec.clusterIP, "10.96.0.1");
    assert.deepEqual(k.spec.clusterIPs, ["10.96.0.1"]);
    const web = a.admit(svc("web", {}), undefined);
    assert.match(web.spec.clusterIP, /^10\.(9[6-9]|10[0-9]|11[01])\./);
    assert.notEqual(web.spec.clusterIP, "10.96.0.1");
    assert.equal(a.ownerOfClusterIP(web.spec.clusterIP), "default/web");
  });

  it("honours a requested clusterIP and rejects a taken or out-of-range one with the reason", () => {
    const a = fresh();
    assert.equal(a.admit(svc("web", { clusterIP: "10.96.5.5" }), undefined).spec.clusterIP, "10.96.5.5");
    assert.throws(
      () => a.admit(svc("other", { clusterIP: "10.96.5.5" }), undefined),
      /Service default\/other: spec\.clusterIP: cannot allocate ClusterIP 10\.96\.5\.5 to default\/other: it is already allocated to default\/web/,
    );
    assert.throws(
      () => a.admit(svc("far", { clusterIP: "192.168.1.1" }), undefined),
      /spec\.clusterIP: .*outside the service CIDR 10\.96\.0\.0\/12/,
    );
    assert.throws(
      () => a.admit(svc("dns", { clusterIP: "10.96.0.10" }, "default"), undefined),
      /already allocated to kube-system\/kube-dns/,
    );
  });

  it("keeps the ClusterIP on re-apply and refuses to change it", () => {
    const a = fresh();
    const first = a.admit(svc("web", {}), undefined);
    const again = a.admit(svc("web", {}), first);
    assert.equal(again.spec.clusterIP, first.spec.clusterIP);
    assert.throws(
      () => a.admit(svc("web", { clusterIP: "10.96.7.7" }), first),
      /spec\.clusterIP: Invalid value: "10\.96\.7\.7": field is immutable/,
    );
    assert.throws(() => a.admit(svc("web", { clusterIP: "None" }), first), /field is immutable/);
  });

  it("headless gets no address, ExternalName none and releases the one it had", () => {
    const a = fresh();
    const headless = a.admit(svc("h", { clusterIP: "None" }), undefined);
    assert.equal(headless.spec.clusterIP, "None");
    assert.deepEqual(headless.spec.clusterIPs, ["None"]);
    const web = a.admit(svc("web", {}), undefined);
    const ip = web.spec.clusterIP;
    const ext = a.admit(svc("web", { type: "ExternalName", externalName: "example.com", ports: [] }), web);
    assert.equal(ext.spec.clusterIP, undefined);
    assert.equal(a.ownerOfClusterIP(ip), undefined, "released");
    const back = a.admit(svc("web", {}), ext);
    assert.match(back.spec.clusterIP, /^10\./, "ExternalName -> ClusterIP allocates again");
  });

  it("allocates nodePorts in range, honours requests, keeps them on re-apply and releases unused ones", () => {
    const a = fresh();
    const spec = {
      type: "NodePort",
      ports: [
        { name: "http", port: 80, protocol: "TCP" },
        { name: "dns", port: 53, protocol: "UDP", nodePort: 30053 },
      ],
    };
    const first = a.admit(svc("np", spec), undefined);
    const [http, dns] = first.spec.ports;
    assert.ok(http.nodePort >= 30000 && http.nodePort <= 32767);
    assert.equal(dns.nodePort, 30053);
    const again = a.admit(svc("np", spec), first);
    assert.equal(again.spec.ports[0].nodePort, http.nodePort, "the same port keeps its nodePort");
    assert.throws(
      () => a.admit(svc("np2", { ...spec, ports: [{ name: "x", port: 1, nodePort: 30053 }] }), undefined),
      /Service default\/np2: spec\.ports\[0\]\.nodePort: cannot allocate nodePort 30053 to default\/np2: it is already allocated to default\/np/,
    );
    assert.throws(
      () => a.admit(svc("np3", { type: "NodePort", ports: [{ port: 1, nodePort: 8080 }] }), undefined),
      /nodePort 8080 .*outside the NodePort range 30000-32767/,
    );
    const toClusterIP = a.admit(svc("np", { ports: [{ name: "http", port: 80 }] }), again);
    assert.equal(toClusterIP.spec.ports[0].nodePort, undefined);
    assert.equal(a.ownerOfNodePort(30053), undefined, "released when the type no longer has node ports");
    assert.equal(a.ownerOfNodePort(http.nodePort), undefined);
  });

  it("uses the cluster's NodePort range", () => {
    const a = ServiceAllocations.create("10.96.0.0/12", "40000-40009", seededRandom(1));
    const s = a.admit(svc("np", { type: "NodePort" }), undefined);
    assert.ok(s.spec.ports[0].nodePort >= 40000 && s.spec.ports[0].nodePort <= 40009);
  });

  it("a trial copy changes nothing in the original", () => {
    const a = fresh();
    const trial = a.clone();
    trial.admit(svc("web", { clusterIP: "10.96.9.9", type: "NodePort" }), undefined);
    assert.equal(trial.ownerOfClusterIP("10.96.9.9"), "default/web");
    assert.equal(a.ownerOfClusterIP("10.96.9.9"), undefined);
    assert.deepEqual(a.toJSON().nodePorts.allocations, {});
  });

  it("release gives back the address and ports of a deleted Service", () => {
    const a = fresh();
    const s = a.admit(svc("np", { type: "NodePort", clusterIP: "10.96.3.3" }), undefined);
    a.release(s);
    assert.equal(a.ownerOfClusterIP("10.96.3.3"), undefined);
    assert.equal(a.ownerOfNodePort(s.spec.ports[0].nodePort), undefined);
  });
});
