import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KObject } from "../cluster/types.js";
import { resolveBackend, serviceIndex } from "./backends.js";
import { backendRef } from "./routes.js";
import { backend } from "./testdata.js";

const svc = (name: string, ports: object[], extra: object = {}): KObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "shop" },
  spec: { ports, ...extra },
});

const slice = (svcName: string, name: string, ports: object[], endpoints: object[]): KObject => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { name, namespace: "shop", labels: { "kubernetes.io/service-name": svcName } },
  addressType: "IPv4",
  ports,
  endpoints,
});

const ep = (ip: string, ready?: boolean) => ({
  addresses: [ip],
  ...(ready === undefined ? {} : { conditions: { ready } }),
});

describe("backend resolution from EndpointSlices", () => {
  const idx = serviceIndex(
    [
      svc("web", [
        { name: "http", port: 80, targetPort: 8080 },
        { name: "admin", port: 81, targetPort: "admin" },
      ]),
      svc("single", [{ port: 80, targetPort: 9000 }]),
      svc("empty", [{ name: "http", port: 80 }]),
      svc("ext", [], { type: "ExternalName", externalName: "example.com" }),
      svc("udp", [{ name: "dns", port: 53, protocol: "UDP" }]),
    ],
    [
      slice(
        "web",
        "web-a",
        [
          { name: "http", port: 8080 },
          { name: "admin", port: 9090 },
        ],
        [ep("10.244.1.2"), ep("10.244.2.2", true), ep("10.244.2.3", false)],
      ),
      slice(
        "web",
        "web-b",
        [
          { name: "http", port: 8080 },
          { name: "admin", port: 9090 },
        ],
        [ep("10.244.1.9", true), ep("10.244.1.2", true)],
      ),
      slice("single", "single-a", [{ name: "", port: 9000 }], [ep("10.244.3.4")]),
      slice("empty", "empty-a", [{ name: "http", port: 8080 }], [ep("10.244.3.5", false)]),
    ],
  );
  const resolve = (b: object, ns = "shop") => resolveBackend(backendRef(ns, b)!, idx);

  it("ready endpoints of every slice on the target port, by port number or name, deduplicated", () => {
    assert.deepEqual(resolve(backend("web", 80)), {
      key: "shop/web:80",
      endpoints: ["10.244.1.2:8080", "10.244.1.9:8080", "10.244.2.2:8080"],
      problem: undefined,
    });
    assert.deepEqual(resolve(backend("web", "admin")).endpoints, [
      "10.244.1.2:9090",
      "10.244.1.9:9090",
      "10.244.2.2:9090",
    ]);
    assert.deepEqual(resolve(backend("single", 80)).endpoints, ["10.244.3.4:9000"]);
  });

  it("says why a backend has no endpoints", () => {
    assert.equal(resolve(backend("missing", 80)).problem, "Service shop/missing not found");
    assert.equal(resolve(backend("web", 80), "other").problem, "Service other/web not found");
    assert.equal(resolve(backend("web", 8080)).problem, "Service shop/web has no port 8080");
    assert.equal(resolve(backend("web", "https")).problem, "Service shop/web has no port https");
    assert.equal(resolve(backend("empty", 80)).problem, "Service shop/empty has no ready endpoints");
    assert.match(resolve(backend("ext", 80)).problem!, /ExternalName/);
    assert.match(resolve(backend("udp", "dns")).problem!, /not TCP/);
    assert.match(resolve({ resource: { kind: "Bucket", name: "b" } }).problem!, /resource backend Bucket\/b/);
  });

  it("IPv6 endpoints are bracketed", () => {
    const v6 = serviceIndex(
      [svc("web", [{ name: "http", port: 80 }])],
      [slice("web", "w6", [{ name: "http", port: 8080 }], [ep("fd00:10:244::5")])],
    );
    assert.deepEqual(resolveBackend(backendRef("shop", backend("web", 80))!, v6).endpoints, [
      "[fd00:10:244::5]:8080",
    ]);
  });
});
