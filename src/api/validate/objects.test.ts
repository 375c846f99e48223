import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertAccepts, assertRejects, deployment, errorsOf } from "../test-support.js";

describe("Deployment validation", () => {
  it("accepts a deployment whose selector matches its template", () => {
    assertAccepts(deployment());
    assertAccepts(deployment({ replicas: 0 }));
  });

  it("requires a non-empty selector that matches the template labels", () => {
    assertRejects(deployment({ selector: undefined }), "spec.selector");
    assertRejects(
      deployment({ selector: {} }),
      "spec.selector",
      {},
      /empty selector is invalid for deployment/,
    );
    assertRejects(
      deployment({ selector: { matchLabels: { app: "api" } } }),
      "spec.template.metadata.labels",
      { app: "web" },
      /`selector` does not match template `labels`/,
    );
    assertRejects(
      deployment({ selector: { matchExpressions: [{ key: "app", operator: "NotIn", values: ["web"] }] } }),
      "spec.template.metadata.labels",
      { app: "web" },
    );
    assertRejects(
      deployment({ selector: { matchExpressions: [{ key: "app", operator: "In" }] } }),
      "spec.selector.matchExpressions[0].values",
    );
  });

  it("requires replicas >= 0 and a valid pod template that restarts Always", () => {
    assertRejects(deployment({ replicas: -1 }), "spec.replicas", -1, /greater than or equal to 0/);
    assertRejects(deployment({ replicas: 1.5 }), "spec.replicas", 1.5, /must be an integer/);
    assertRejects(deployment({ template: undefined }), "spec.template");
    const tpl = (spec: object) => ({
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "c", image: "x" }], ...spec },
    });
    assertRejects(
      deployment({ template: tpl({ restartPolicy: "Never" }) }),
      "spec.template.spec.restartPolicy",
      "Never",
      /supported values: "Always"/,
    );
    assertRejects(
      deployment({
        template: tpl({ containers: [{ name: "c", image: "x", ports: [{ containerPort: 0 }] }] }),
      }),
      "spec.template.spec.containers[0].ports[0].containerPort",
      0,
    );
    assertRejects(deployment({ strategy: { type: "BlueGreen" } }), "spec.strategy.type", "BlueGreen");
  });

  it("checks the name", () => {
    assertRejects(deployment({}, { name: "Web" }), "metadata.name", "Web");
  });
});

describe("EndpointSlice validation", () => {
  const slice = (fields: object) => ({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "web-abc", namespace: "shop" },
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.244.1.5"] }],
    ports: [{ name: "http", port: 8080 }],
    ...fields,
  });

  it("accepts IPv4, IPv6 and FQDN slices", () => {
    assertAccepts(slice({}));
    assertAccepts(
      slice({ addressType: "IPv6", endpoints: [{ addresses: ["fd00::5"], conditions: { ready: true } }] }),
    );
    assertAccepts(slice({ addressType: "FQDN", endpoints: [{ addresses: ["db.example.com"] }] }));
  });

  it("checks addressType and that addresses are of that type", () => {
    assertRejects(slice({ addressType: undefined }), "addressType");
    assertRejects(
      slice({ addressType: "IPv5" }),
      "addressType",
      "IPv5",
      /supported values: "IPv4", "IPv6", "FQDN"/,
    );
    assertRejects(
      slice({ endpoints: [{ addresses: ["fd00::5"] }] }),
      "endpoints[0].addresses[0]",
      "fd00::5",
      /must be an IPv4 address/,
    );
    assertRejects(
      slice({ endpoints: [{ addresses: ["10.244.1.300"] }] }),
      "endpoints[0].addresses[0]",
      "10.244.1.300",
    );
    assertRejects(
      slice({ endpoints: [{ addresses: [] }] }),
      "endpoints[0].addresses",
      undefined,
      /at least 1 address/,
    );
    assertRejects(
      slice({ endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: "yes" } }] }),
      "endpoints[0].conditions.ready",
      "yes",
    );
    assertRejects(
      slice({ endpoints: [{ addresses: ["10.0.0.1"], hostname: "a.b" }] }),
      "endpoints[0].hostname",
      "a.b",
    );
  });

  it("checks ports", () => {
    assertRejects(slice({ ports: [{ port: 0 }] }), "ports[0].port", 0);
    assertRejects(
      slice({
        ports: [
          { name: "a", port: 1 },
          { name: "a", port: 2 },
        ],
      }),
      "ports[1].name",
      "a",
    );
    assertRejects(slice({ ports: [{ port: 1, protocol: "QUIC" }] }), "ports[0].protocol", "QUIC");
  });
});

describe("Secret and ConfigMap validation", () => {
  const secret = (fields: object) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s", namespace: "shop" },
    ...fields,
  });

  it("requires tls.crt and tls.key for kubernetes.io/tls, counting stringData", () => {
    assertAccepts(secret({ type: "kubernetes.io/tls", data: { "tls.crt": "Y2VydA==", "tls.key": "a2V5" } }));
    assertAccepts(secret({ type: "kubernetes.io/tls", stringData: { "tls.crt": "cert", "tls.key": "key" } }));
    assertRejects(
      secret({ type: "kubernetes.io/tls", data: { "tls.crt": "Y2VydA==" } }),
      "data[tls.key]",
      undefined,
      /must contain 'tls.key'/,
    );
    assertRejects(secret({ type: "kubernetes.io/tls" }), "data[tls.crt]");
  });

  it("requires base64 data and valid keys", () => {
    assertRejects(
      secret({ data: { token: "not base64!" } }),
      "data[token]",
      "not base64!",
      /must be base64 encoded/,
    );
    assertRejects(secret({ data: { "a/b": "YQ==" } }), "data", "a/b");
    assertRejects(secret({ stringData: { n: 5 } }), "stringData[n]", 5, /must be a string/);
  });

  it("checks ConfigMap keys", () => {
    const cm = (fields: object) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c" },
      ...fields,
    });
    assertAccepts(cm({ data: { "app.conf": "x=1" } }));
    assertRejects(cm({ data: { "..": "x" } }), "data", "..");
    assertRejects(cm({ data: { a: "x" }, binaryData: { a: "eA==" } }), "binaryData[a]", "a");
  });
});

describe("Node and Namespace validation", () => {
  const node = (spec: object, status?: object) => ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name: "node-1" },
    spec,
    ...(status ? { status } : {}),
  });

  it("checks podCIDR and podCIDRs", () => {
    assertAccepts(node({ podCIDR: "10.244.1.0/24", podCIDRs: ["10.244.1.0/24", "fd00:10:244:1::/64"] }));
    assertRejects(node({ podCIDR: "10.244.1.0/33" }), "spec.podCIDR", "10.244.1.0/33", /valid CIDR/);
    assertRejects(
      node({ podCIDRs: ["10.244.1.0/24", "10.244.2.0/24"] }),
      "spec.podCIDRs[1]",
      "10.244.2.0/24",
      /one CIDR for each IP family/,
    );
    assertRejects(
      node({ podCIDR: "10.244.1.0/24", podCIDRs: ["10.244.2.0/24"] }),
      "spec.podCIDRs[0]",
      "10.244.2.0/24",
      /must match `spec.podCIDR`/,
    );
    assertRejects(node({ podCIDRs: ["x"] }), "spec.podCIDRs[0]", "x");
  });

  it("checks node addresses and names", () => {
    assertRejects(
      node({}, { addresses: [{ type: "InternalIP", address: "172.18.0.300" }] }),
      "status.addresses[0].address",
      "172.18.0.300",
    );
    assertAccepts(node({}, { addresses: [{ type: "Hostname", address: "node-1" }] }));
    assertRejects(
      { apiVersion: "v1", kind: "Node", metadata: { name: "Node 1" } },
      "metadata.name",
      "Node 1",
    );
  });

  it("requires DNS-1123 label namespace names and ignores a namespace on cluster-scoped kinds", () => {
    assertRejects(
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "my.ns" } },
      "metadata.name",
      "my.ns",
      /RFC 1123 label/,
    );
    const [ns] = assertAccepts({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "shop", namespace: "other" },
    });
    assert.equal(ns!.kind === "Namespace" && ns!.metadata.namespace, undefined);
  });
});

describe("duplicates", () => {
  it("rejects the same kind/namespace/name twice but allows the same name in other namespaces or kinds", () => {
    const cm = (ns: string) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", namespace: ns },
    });
    assertAccepts(cm("a"), cm("b"), {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "c", namespace: "a" },
    });
    const errors = errorsOf(cm("a"), cm("a"));
    assert.equal(errors.length, 1);
    assert.equal(
      errors[0]!.message,
      't.yaml#1 ConfigMap a/c: metadata.name: Duplicate value: "c": ConfigMap a/c is also defined at t.yaml#0',
    );
  });

  it("counts an absent namespace as default", () => {
    const cm = (meta: object) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", ...meta } });
    assert.equal(errorsOf(cm({}), cm({ namespace: "default" })).length, 1);
  });
});
