import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KObject } from "../cluster/types.js";
import { CertCache, loadCert, selfSignedCert } from "./certs.js";
import { compileConfig } from "./config.js";
import { matchRoute } from "./routes.js";
import { backend, ing, ingressClass, rule } from "./testdata.js";

const svc = (name: string): KObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name, namespace: "default" },
  spec: { ports: [{ name: "http", port: 80 }] },
});
const slice = (svcName: string, ip: string): KObject => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: { name: `${svcName}-x`, namespace: "default", labels: { "kubernetes.io/service-name": svcName } },
  ports: [{ name: "http", port: 8080 }],
  endpoints: [{ addresses: [ip] }],
});
const secret = (name: string, cert: string, key: string, rv = "1"): KObject => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: "default", uid: `uid-${name}`, resourceVersion: rv },
  type: "kubernetes.io/tls",
  data: { "tls.crt": Buffer.from(cert).toString("base64"), "tls.key": Buffer.from(key).toString("base64") },
});

describe("proxy configuration", () => {
  const classes = [
    ingressClass("flatnet", "flatnet.dev/ingress"),
    ingressClass("nginx", "k8s.io/ingress-nginx"),
  ];

  it("serves only flatnet's Ingresses and resolves their backends", () => {
    const cfg = compileConfig(
      {
        ingresses: [
          ing("ours", { ingressClassName: "flatnet", rules: [rule("a.example", { path: "/", svc: "web" })] }),
          ing("theirs", { ingressClassName: "nginx", rules: [rule("b.example", { path: "/", svc: "web" })] }),
          ing("nobody", { defaultBackend: backend("web") }),
        ],
        ingressClasses: classes,
        services: [svc("web")],
        endpointSlices: [slice("web", "10.244.1.5")],
        secrets: [],
      },
      undefined,
    );
    assert.deepEqual(cfg.ingresses, ["default/ours"]);
    assert.equal(matchRoute(cfg.routes, "b.example", "/"), undefined);
    const m = matchRoute(cfg.routes, "a.example", "/")!;
    assert.deepEqual(cfg.backends.get(m.backend.key)?.endpoints, ["10.244.1.5:8080"]);
  });

  it("TLS: valid Secrets get a context; missing and invalid ones are problems; contexts are cached per resourceVersion", async () => {
    const pem = await selfSignedCert("a.example", ["a.example"]);
    const other = await selfSignedCert("b.example", ["b.example"]);
    const certs = new CertCache();
    const view = (secrets: KObject[]) => ({
      ingresses: [
        ing("tls", {
          ingressClassName: "flatnet",
          tls: [
            { hosts: ["a.example"], secretName: "good" },
            { hosts: ["b.example"], secretName: "mismatch" },
            { hosts: ["c.example"], secretName: "absent" },
            { hosts: ["d.example"], secretName: "wronghost" },
          ],
          rules: [rule(undefined, { path: "/", svc: "web" })],
        }),
      ],
      ingressClasses: classes,
      services: [],
      endpointSlices: [],
      secrets,
    });
    const secrets = [
      secret("good", pem.cert, pem.key),
      secret("mismatch", pem.cert, other.key),
      secret("wronghost", other.cert, other.key),
    ];
    const cfg = compileConfig(view(secrets), certs);
    assert.deepEqual([...cfg.contexts.keys()].sort(), ["default/good", "default/wronghost"]);
    const problems = cfg.problems.join("\n");
    assert.match(
      problems,
      /Secret default\/mismatch is not a valid TLS certificate: tls\.key does not belong to tls\.crt; its hosts \(b\.example\) get the default certificate/,
    );
    assert.match(
      problems,
      /Secret default\/absent not found: its hosts \(c\.example\) get the default certificate/,
    );
    assert.match(problems, /Secret default\/wronghost: the certificate does not cover host d\.example/);
    const again = compileConfig(view(secrets), certs);
    assert.equal(again.contexts.get("default/good"), cfg.contexts.get("default/good"), "cached");
    const rotated = compileConfig(
      view([secret("good", other.cert, other.key, "2"), ...secrets.slice(1)]),
      certs,
    );
    assert.notEqual(
      rotated.contexts.get("default/good"),
      cfg.contexts.get("default/good"),
      "a new resourceVersion is parsed again",
    );
  });

  it("loadCert explains what is wrong", async () => {
    const pem = await selfSignedCert("x.example", ["*.x.example"]);
    assert.equal(loadCert(pem, ["*.x.example", "a.x.example"]).ok, true);
    const r = loadCert({ cert: "junk", key: pem.key });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.error : "", /tls\.crt is not a PEM certificate/);
    const k = loadCert({ cert: pem.cert, key: "junk" });
    assert.match(!k.ok ? k.error : "", /tls\.key is not a PEM private key/);
    const expired = loadCert(pem, [], new Date(Date.now() + 20 * 365 * 86400_000));
    assert.match(expired.ok ? expired.warnings.join() : "", /expired/);
  });
});
