import { describe, it } from "node:test";
import { assertAccepts, assertRejects, ingress, ingressPath } from "../test-support.js";

const backend = { service: { name: "web", port: { number: 80 } } };

describe("Ingress validation", () => {
  it("accepts rules, wildcard hosts, default backends and TLS", () => {
    assertAccepts(ingressPath({}));
    assertAccepts(ingressPath({ path: "/api", pathType: "Exact" }, "*.example.com"));
    assertAccepts(ingressPath({ path: undefined, pathType: "ImplementationSpecific" }));
    assertAccepts(ingress({ defaultBackend: backend }));
    assertAccepts(
      ingress({
        defaultBackend: { resource: { apiGroup: "k8s.example.com", kind: "StorageBucket", name: "assets" } },
      }),
    );
    assertAccepts(
      ingress({
        defaultBackend: backend,
        tls: [{ hosts: ["a.example.com", "*.b.example.com"], secretName: "tls" }],
      }),
    );
  });

  it("requires a defaultBackend or rules", () => {
    assertRejects(ingress({}), "spec", {}, /either `defaultBackend` or `rules` must be specified/);
  });

  it("rejects IP hosts and misplaced wildcards", () => {
    assertRejects(
      ingressPath({}, "192.0.2.1"),
      "spec.rules[0].host",
      "192.0.2.1",
      /must be a DNS name, not an IP address/,
    );
    assertRejects(ingressPath({}, "2001:db8::1"), "spec.rules[0].host", "2001:db8::1");
    assertRejects(
      ingressPath({}, "foo.*.example.com"),
      "spec.rules[0].host",
      "foo.*.example.com",
      /wildcard host must start with/,
    );
    assertRejects(ingressPath({}, "*foo.example.com"), "spec.rules[0].host", "*foo.example.com");
    assertRejects(ingressPath({}, "Shop.Example.com"), "spec.rules[0].host", "Shop.Example.com");
  });

  it("requires pathType, one of Exact|Prefix|ImplementationSpecific", () => {
    assertRejects(
      ingressPath({ pathType: undefined }),
      "spec.rules[0].http.paths[0].pathType",
      undefined,
      /pathType must be specified/,
    );
    assertRejects(
      ingressPath({ pathType: "Regex" }),
      "spec.rules[0].http.paths[0].pathType",
      "Regex",
      /supported values: "Exact", "Prefix", "ImplementationSpecific"/,
    );
    assertRejects(ingress({ rules: [{ host: "a.b", http: { paths: [] } }] }), "spec.rules[0].http.paths");
  });

  it("requires absolute, clean paths for Exact and Prefix", () => {
    assertRejects(
      ingressPath({ path: "api" }),
      "spec.rules[0].http.paths[0].path",
      "api",
      /must be an absolute path/,
    );
    assertRejects(
      ingressPath({ path: undefined, pathType: "Exact" }),
      "spec.rules[0].http.paths[0].path",
      "",
    );
    assertRejects(
      ingressPath({ path: "/a//b" }),
      "spec.rules[0].http.paths[0].path",
      "/a//b",
      /must not contain '\/\/'/,
    );
    assertRejects(ingressPath({ path: "/a/../b" }), "spec.rules[0].http.paths[0].path", "/a/../b");
    assertRejects(ingressPath({ path: "/a%2Fb" }), "spec.rules[0].http.paths[0].path", "/a%2Fb");
    assertRejects(
      ingressPath({ path: "/a/.." }),
      "spec.rules[0].http.paths[0].path",
      "/a/..",
      /cannot end with '\/\.\.'/,
    );
    assertRejects(
      ingressPath({ path: "api", pathType: "ImplementationSpecific" }),
      "spec.rules[0].http.paths[0].path",
      "api",
    );
  });

  it("requires a backend: service xor resource, port name xor number", () => {
    assertRejects(ingressPath({ backend: undefined }), "spec.rules[0].http.paths[0].backend");
    assertRejects(
      ingressPath({ backend: {} }),
      "spec.rules[0].http.paths[0].backend",
      {},
      /one backend type must be specified/,
    );
    const both = { ...backend, resource: { kind: "Bucket", name: "b" } };
    assertRejects(
      ingressPath({ backend: both }),
      "spec.rules[0].http.paths[0].backend",
      both,
      /cannot set both `service` and `resource`/,
    );
    const port = (p: object) => ingressPath({ backend: { service: { name: "web", port: p } } });
    assertRejects(
      port({ name: "http", number: 80 }),
      "spec.rules[0].http.paths[0].backend.service.port",
      { name: "http", number: 80 },
      /cannot set both port name & port number/,
    );
    assertRejects(
      port({}),
      "spec.rules[0].http.paths[0].backend.service.port",
      undefined,
      /port name or number is required/,
    );
    assertRejects(port({ number: 70000 }), "spec.rules[0].http.paths[0].backend.service.port.number", 70000);
    assertRejects(port({ name: "HTTP" }), "spec.rules[0].http.paths[0].backend.service.port.name", "HTTP");
    assertRejects(
      ingressPath({ backend: { service: { name: "1web", port: { number: 80 } } } }),
      "spec.rules[0].http.paths[0].backend.service.name",
      "1web",
    );
    assertRejects(
      ingress({ defaultBackend: { resource: { kind: "Bucket" } } }),
      "spec.defaultBackend.resource.name",
    );
  });

  it("checks TLS hosts, secretName and ingressClassName", () => {
    assertRejects(
      ingress({ defaultBackend: backend, tls: [{ hosts: ["10.0.0.1"] }] }),
      "spec.tls[0].hosts[0]",
      "10.0.0.1",
    );
    assertRejects(
      ingress({ defaultBackend: backend, tls: [{ secretName: "Bad_Secret" }] }),
      "spec.tls[0].secretName",
      "Bad_Secret",
    );
    assertRejects(
      ingress({ defaultBackend: backend, ingressClassName: "Flatnet" }),
      "spec.ingressClassName",
      "Flatnet",
    );
  });

  it("the deprecated class annotation must match ingressClassName when both are set", () => {
    const withAnnotation = (value: string, className?: string) => ({
      ...(ingress({
        defaultBackend: backend,
        ...(className ? { ingressClassName: className } : {}),
      }) as object),
      metadata: { name: "ing", namespace: "shop", annotations: { "kubernetes.io/ingress.class": value } },
    });
    assertAccepts(withAnnotation("nginx"));
    assertAccepts(withAnnotation("flatnet", "flatnet"));
    assertRejects(
      withAnnotation("nginx", "flatnet"),
      "metadata.annotations[kubernetes.io/ingress.class]",
      "nginx",
      /must match `spec.ingressClassName`/,
    );
  });
});

describe("IngressClass validation", () => {
  const cls = (spec: object) => ({
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: "flatnet" },
    spec,
  });

  it("requires a domain-prefixed controller", () => {
    assertAccepts(cls({ controller: "flatnet.dev/ingress" }));
    assertRejects(cls({}), "spec.controller");
    assertRejects(cls({ controller: "nginx" }), "spec.controller", "nginx", /domain-prefixed path/);
    assertRejects(cls({ controller: "Example.com/x" }), "spec.controller", "Example.com/x", /domain part/);
  });

  it("checks parameters", () => {
    assertRejects(
      cls({ controller: "a.b/c", parameters: { kind: "Cfg", name: "x", scope: "Global" } }),
      "spec.parameters.scope",
      "Global",
    );
    assertRejects(
      cls({ controller: "a.b/c", parameters: { kind: "Cfg", name: "x", scope: "Namespace" } }),
      "spec.parameters.namespace",
    );
    assertRejects(cls({ controller: "a.b/c", parameters: { name: "x" } }), "spec.parameters.kind");
  });
});
