// EndpointSlice contents: conditions, publishNotReadyAddresses, named targetPorts per pod,
// TCP/UDP, slices of at most 100, labels and owner, empty placeholder, what is left out.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KObject } from "../types.js";
import {
  desiredEndpointSlices,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  resolveTargetPort,
  SERVICE_NAME_LABEL,
} from "./endpointslice-desired.js";

function pod(
  name: string,
  ip: string | undefined,
  opts: {
    ready?: boolean;
    deleting?: boolean;
    ports?: unknown[];
    labels?: Record<string, string>;
    phase?: string;
  } = {},
): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "shop",
      uid: `uid-${name}`,
      labels: opts.labels ?? { app: "web" },
      ...(opts.deleting ? { deletionTimestamp: "2024-01-01T00:00:00Z" } : {}),
    },
    spec: { nodeName: "node-1", containers: [{ name: "c", ports: opts.ports ?? [] }] },
    status: {
      phase: opts.phase ?? "Running",
      ...(ip ? { podIP: ip } : {}),
      conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }],
    },
  };
}

function service(spec: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "shop", uid: "svc-uid", labels: { tier: "front" } },
    spec: {
      type: "ClusterIP",
      clusterIP: "10.96.0.20",
      selector: { app: "web" },
      ports: [{ name: "http", port: 80, protocol: "TCP", targetPort: 8080 }],
      ...spec,
    },
  };
}

describe("desiredEndpointSlices", () => {
  it("lists ready, not-ready and terminating pods with their conditions", () => {
    const [slice] = desiredEndpointSlices(service(), [
      pod("a", "10.244.1.2"),
      pod("b", "10.244.1.3", { ready: false }),
      pod("c", "10.244.1.4", { deleting: true }),
      pod("d", undefined),
      pod("e", "10.244.1.6", { phase: "Succeeded" }),
      pod("f", "10.244.1.7", { labels: { app: "other" } }),
    ]);
    assert.ok(slice);
    assert.equal(slice.addressType, "IPv4");
    assert.deepEqual(slice.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
    const byName = Object.fromEntries(
      (slice.endpoints as Array<{ targetRef: { name: string }; conditions: unknown }>).map((e) => [
        e.targetRef.name,
        e.conditions,
      ]),
    );
    assert.deepEqual(byName, {
      a: { ready: true, serving: true, terminating: false },
      b: { ready: false, serving: false, terminating: false },
      c: { ready: false, serving: true, terminating: true },
    });
    const a = (slice.endpoints as Array<Record<string, unknown>>)[0]!;
    assert.deepEqual(a.addresses, ["10.244.1.2"]);
    assert.equal(a.nodeName, "node-1");
    assert.deepEqual(a.targetRef, { kind: "Pod", namespace: "shop", name: "a", uid: "uid-a" });
  });

  it("publishNotReadyAddresses makes every endpoint ready", () => {
    const [slice] = desiredEndpointSlices(service({ publishNotReadyAddresses: true }), [
      pod("b", "10.244.1.3", { ready: false }),
    ]);
    assert.deepEqual((slice!.endpoints as Array<{ conditions: unknown }>)[0]!.conditions, {
      ready: true,
      serving: false,
      terminating: false,
    });
  });

  it("labels the slice and points it at its Service", () => {
    const [slice] = desiredEndpointSlices(service(), [pod("a", "10.244.1.2")]);
    assert.equal(slice!.metadata.labels![SERVICE_NAME_LABEL], "web");
    assert.equal(slice!.metadata.labels![MANAGED_BY_LABEL], MANAGED_BY);
    assert.equal(slice!.metadata.labels!.tier, "front", "the Service's labels are copied");
    assert.equal(slice!.metadata.ownerReferences![0]!.uid, "svc-uid");
    assert.match(slice!.metadata.name, /^web-[0-9a-f]{5}$/);
  });

  it("resolves a named targetPort per pod and groups pods by their port numbers", () => {
    const svc = service({
      ports: [
        { name: "http", port: 80, protocol: "TCP", targetPort: "web" },
        { name: "dns", port: 53, protocol: "UDP", targetPort: "dns" },
      ],
    });
    const slices = desiredEndpointSlices(svc, [
      pod("a", "10.244.1.2", {
        ports: [
          { name: "web", containerPort: 8080 },
          { name: "dns", containerPort: 5353, protocol: "UDP" },
        ],
      }),
      pod("b", "10.244.1.3", {
        ports: [
          { name: "web", containerPort: 9090 },
          { name: "dns", containerPort: 5353, protocol: "UDP" },
        ],
      }),
      // "dns" exists only as TCP here: the UDP port does not resolve for this pod.
      pod("c", "10.244.1.4", {
        ports: [
          { name: "web", containerPort: 8080 },
          { name: "dns", containerPort: 53 },
        ],
      }),
    ]);
    const summary = slices
      .map((s) => ({
        ports: (s.ports as Array<{ port: number; protocol: string }>).map((p) => `${p.port}/${p.protocol}`),
        pods: (s.endpoints as Array<{ targetRef: { name: string } }>).map((e) => e.targetRef.name),
      }))
      .sort((x, y) => x.pods.join().localeCompare(y.pods.join()));
    assert.deepEqual(summary, [
      { ports: ["8080/TCP", "5353/UDP"], pods: ["a"] },
      { ports: ["9090/TCP", "5353/UDP"], pods: ["b"] },
      { ports: ["8080/TCP"], pods: ["c"] },
    ]);
  });

  it("resolveTargetPort: numbers, numeric strings, names by protocol, missing", () => {
    const p = pod("a", "10.0.0.1", { ports: [{ name: "web", containerPort: 8080 }] });
    assert.equal(resolveTargetPort({ port: 80 }, p), 80);
    assert.equal(resolveTargetPort({ port: 80, targetPort: 81 }, p), 81);
    assert.equal(resolveTargetPort({ port: 80, targetPort: "web" }, p), 8080);
    assert.equal(resolveTargetPort({ port: 80, targetPort: "web", protocol: "UDP" }, p), undefined);
    assert.equal(resolveTargetPort({ port: 80, targetPort: "nope" }, p), undefined);
  });

  it("puts at most 100 endpoints in a slice", () => {
    const pods = Array.from({ length: 250 }, (_, i) =>
      pod(`p${String(i).padStart(3, "0")}`, `10.244.${i >> 8}.${i & 255}`),
    );
    const slices = desiredEndpointSlices(service(), pods);
    assert.deepEqual(
      slices.map((s) => (s.endpoints as unknown[]).length).sort((a, b) => b - a),
      [100, 100, 50],
    );
    assert.equal(new Set(slices.map((s) => s.metadata.name)).size, 3);
  });

  it("an empty selection still gets one empty slice; no selector or ExternalName gets none", () => {
    const empty = desiredEndpointSlices(service(), []);
    assert.equal(empty.length, 1);
    assert.deepEqual(empty[0]!.endpoints, []);
    assert.deepEqual(desiredEndpointSlices(service({ selector: undefined }), [pod("a", "10.0.0.1")]), []);
    assert.deepEqual(desiredEndpointSlices(service({ selector: {} }), [pod("a", "10.0.0.1")]), []);
    assert.deepEqual(
      desiredEndpointSlices(service({ type: "ExternalName", externalName: "x.example" }), [
        pod("a", "10.0.0.1"),
      ]),
      [],
    );
  });

  it("headless Services get slices too, labelled headless", () => {
    const [slice] = desiredEndpointSlices(service({ clusterIP: "None" }), [pod("a", "10.244.1.2")]);
    assert.equal(slice!.metadata.labels!["service.kubernetes.io/headless"], "");
    assert.equal((slice!.endpoints as unknown[]).length, 1);
  });
});
