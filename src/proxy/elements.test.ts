// desired elements per service port: dispatch, slots, reject/drop without endpoints, traffic
// policies, terminating fallback, NodePort masquerade, affinity and hairpin.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { portElements, serviceElements } from "./elements.js";
import { choosePortEndpoints, usable } from "./endpoint-choice.js";
import type { EndpointInfo, ServicePortInfo } from "./service-view.js";

const ep = (ip: string, node: string, state: Partial<EndpointInfo> = {}): EndpointInfo => ({
  ip,
  port: 8080,
  nodeName: node,
  ready: true,
  serving: true,
  terminating: false,
  ...state,
});

function port(over: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    service: "shop/web",
    portName: "http",
    protocol: "TCP",
    clusterIP: "10.96.0.20",
    port: 80,
    externalLocal: false,
    internalLocal: false,
    endpoints: [ep("10.244.1.2", "node-1"), ep("10.244.2.2", "node-2")],
    ...over,
  };
}

const text = (els: ReturnType<typeof portElements>) =>
  els.map((e) => `${e.set}: ${e.key}${e.value === undefined ? "" : ` : ${e.value}`}`);

describe("portElements", () => {
  it("ClusterIP: one dispatch element, one slot per endpoint, hairpin for the local one", () => {
    assert.deepEqual(text(portElements(port(), "node-1")), [
      "service-ips: 10.96.0.20 . tcp . 80 : goto cluster-ip-2",
      "cluster-endpoints-tcp: 10.96.0.20 . 80 . 0 : 10.244.1.2 . 8080",
      "cluster-endpoints-tcp: 10.96.0.20 . 80 . 1 : 10.244.2.2 . 8080",
      "hairpin: 10.244.1.2 . 10.244.1.2",
    ]);
  });

  it("no endpoints: reject (TCP and UDP alike)", () => {
    assert.deepEqual(text(portElements(port({ endpoints: [], protocol: "UDP" }), "node-1")), [
      "no-endpoint-services: 10.96.0.20 . udp . 80 : goto reject-packet",
    ]);
  });

  it("not-ready endpoints are not used; serving-terminating ones are when nothing is ready", () => {
    const eps = [
      ep("10.244.1.2", "node-1", { ready: false, serving: false }),
      ep("10.244.1.3", "node-1", { ready: false, serving: true, terminating: true }),
      ep("10.244.1.4", "node-1", { ready: false, serving: false, terminating: true }),
    ];
    assert.deepEqual(
      usable(eps).map((e) => e.ip),
      ["10.244.1.3"],
    );
    assert.deepEqual(
      usable([...eps, ep("10.244.1.9", "node-2")]).map((e) => e.ip),
      ["10.244.1.9"],
      "a ready endpoint anywhere wins over terminating ones",
    );
  });

  it("NodePort with externalTrafficPolicy Cluster: all endpoints, masqueraded", () => {
    const els = text(portElements(port({ nodePort: 30080 }), "node-3"));
    assert.deepEqual(els, [
      "service-ips: 10.96.0.20 . tcp . 80 : goto cluster-ip-2",
      "cluster-endpoints-tcp: 10.96.0.20 . 80 . 0 : 10.244.1.2 . 8080",
      "cluster-endpoints-tcp: 10.96.0.20 . 80 . 1 : 10.244.2.2 . 8080",
      "service-nodeports: tcp . 30080 : goto node-port-2",
      "nodeport-endpoints-tcp: 30080 . 0 : 10.244.1.2 . 8080",
      "nodeport-endpoints-tcp: 30080 . 1 : 10.244.2.2 . 8080",
      "nodeports-masquerade: tcp . 30080",
    ]);
  });

  it("externalTrafficPolicy Local: local endpoints only, no masquerade; drop where there are none", () => {
    const info = port({ nodePort: 30080, externalLocal: true });
    assert.deepEqual(
      text(portElements(info, "node-2")).filter((e) => e.includes("30080")),
      [
        "service-nodeports: tcp . 30080 : goto node-port-1",
        "nodeport-endpoints-tcp: 30080 . 0 : 10.244.2.2 . 8080",
      ],
    );
    assert.deepEqual(
      text(portElements(info, "node-3")).filter((e) => e.includes("30080")),
      ["no-endpoint-nodeports: tcp . 30080 : drop"],
    );
    assert.deepEqual(
      text(portElements({ ...info, endpoints: [] }, "node-3")).filter((e) => e.includes("30080")),
      ["no-endpoint-nodeports: tcp . 30080 : goto reject-packet"],
      "no endpoints anywhere: reject",
    );
  });

  it("internalTrafficPolicy Local: the ClusterIP only reaches this node's endpoints", () => {
    const info = port({ internalLocal: true });
    assert.deepEqual(
      choosePortEndpoints(info, "node-1").internal.endpoints.map((e) => e.ip),
      ["10.244.1.2"],
    );
    assert.deepEqual(text(portElements(info, "node-3")), [
      "no-endpoint-services: 10.96.0.20 . tcp . 80 : drop",
    ]);
  });

  it("ClientIP affinity registers the Service (and NodePort) with its timeout", () => {
    const els = text(portElements(port({ affinityTimeout: 600, nodePort: 30080 }), "node-9"));
    assert.ok(els.includes("affinity-services: 10.96.0.20 . tcp . 80 : jump affinity-600"));
    assert.ok(els.includes("affinity-nodeports: tcp . 30080 : jump affinity-600"));
  });

  it("endpoints with per-pod target ports keep their own port", () => {
    const info = port({ endpoints: [ep("10.244.1.2", "n"), { ...ep("10.244.1.3", "n"), port: 9090 }] });
    assert.deepEqual(
      text(portElements(info, "x")).filter((e) => e.startsWith("cluster-endpoints")),
      [
        "cluster-endpoints-tcp: 10.96.0.20 . 80 . 0 : 10.244.1.2 . 8080",
        "cluster-endpoints-tcp: 10.96.0.20 . 80 . 1 : 10.244.1.3 . 9090",
      ],
    );
  });

  it("serviceElements lists shared hairpin pairs once", () => {
    const els = serviceElements([port(), port({ portName: "dns", protocol: "UDP", port: 53 })], "node-1");
    assert.equal(els.filter((e) => e.set === "hairpin").length, 1);
    assert.equal(els.filter((e) => e.set === "service-ips").length, 2);
  });
});
