// From Service + EndpointSlices to service ports with endpoints: port matching by name and
// protocol, per-pod target ports, conditions, what the proxy leaves out.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KObject } from "../cluster/types.js";
import { serviceView } from "./service-view.js";

function service(spec: Record<string, unknown>): KObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "shop" },
    spec: {
      type: "ClusterIP",
      clusterIP: "10.96.0.20",
      ports: [
        { name: "http", port: 80, protocol: "TCP", targetPort: "http" },
        { name: "dns", port: 53, protocol: "UDP", targetPort: 5353 },
      ],
      ...spec,
    },
  };
}

function slice(name: string, ports: unknown[], endpoints: unknown[], svc = "web", ns = "shop"): KObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name, namespace: ns, labels: { "kubernetes.io/service-name": svc } },
    addressType: "IPv4",
    ports,
    endpoints,
  };
}

const ready = { ready: true, serving: true, terminating: false };

describe("serviceView", () => {
  it("joins each port with its endpoints across slices, port by name and protocol", () => {
    const view = serviceView(service({}), [
      slice(
        "a",
        [
          { name: "http", port: 8080, protocol: "TCP" },
          { name: "dns", port: 5353, protocol: "UDP" },
        ],
        [{ addresses: ["10.244.1.2"], conditions: ready, nodeName: "node-1" }],
      ),
      slice(
        "b",
        [{ name: "http", port: 9090, protocol: "TCP" }],
        [
          {
            addresses: ["10.244.2.2"],
            conditions: { ready: false, serving: true, terminating: true },
            nodeName: "node-2",
          },
        ],
      ),
      slice("other", [{ name: "http", port: 1, protocol: "TCP" }], [{ addresses: ["10.9.9.9"] }], "other"),
      slice(
        "elsewhere",
        [{ name: "http", port: 1, protocol: "TCP" }],
        [{ addresses: ["10.9.9.8"] }],
        "web",
        "x",
      ),
    ]);
    assert.equal(view.ports.length, 2);
    const [http, dns] = view.ports;
    assert.deepEqual(http!.endpoints, [
      { ip: "10.244.1.2", port: 8080, nodeName: "node-1", ...ready },
      { ip: "10.244.2.2", port: 9090, nodeName: "node-2", ready: false, serving: true, terminating: true },
    ]);
    assert.deepEqual(
      dns!.endpoints.map((e) => `${e.ip}:${e.port}`),
      ["10.244.1.2:5353"],
    );
    assert.equal(http!.service, "shop/web");
    assert.equal(dns!.protocol, "UDP");
  });

  it("unset conditions count as ready (the API's rule)", () => {
    const view = serviceView(service({}), [
      slice("a", [{ name: "http", port: 8080 }], [{ addresses: ["10.244.1.2"] }]),
    ]);
    assert.equal(view.ports[0]!.endpoints[0]!.ready, true);
  });

  it("carries nodePort, traffic policies and affinity", () => {
    const view = serviceView(
      service({
        type: "NodePort",
        externalTrafficPolicy: "Local",
        internalTrafficPolicy: "Local",
        sessionAffinity: "ClientIP",
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
        ports: [{ name: "http", port: 80, protocol: "TCP", nodePort: 30080 }],
      }),
      [],
    );
    assert.deepEqual(
      { ...view.ports[0]!, endpoints: undefined },
      {
        service: "shop/web",
        portName: "http",
        protocol: "TCP",
        clusterIP: "10.96.0.20",
        port: 80,
        nodePort: 30080,
        externalLocal: true,
        internalLocal: true,
        affinityTimeout: 60,
        endpoints: undefined,
      },
    );
  });

  it("ClientIP affinity without a timeout gets kube-proxy's default, 10800 s", () => {
    const view = serviceView(
      service({ sessionAffinity: "ClientIP", ports: [{ name: "http", port: 80, protocol: "TCP" }] }),
      [],
    );
    assert.equal(view.ports[0]!.affinityTimeout, 10800);
    assert.equal(serviceView(service({}), []).ports[0]?.affinityTimeout, undefined);
  });

  it("headless, ExternalName and SCTP ports get nothing, SCTP with a reason", () => {
    assert.deepEqual(serviceView(service({ clusterIP: "None" }), []).ports, []);
    assert.deepEqual(serviceView(service({ type: "ExternalName", clusterIP: undefined }), []).ports, []);
    const sctp = serviceView(service({ ports: [{ name: "s", port: 9, protocol: "SCTP" }] }), []);
    assert.deepEqual(sctp.ports, []);
    assert.match(sctp.skipped[0]!, /shop\/web port s: protocol SCTP is not supported/);
  });
});
