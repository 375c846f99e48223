import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildRoutes, matchRoute, type RouteTable } from "./routes.js";
import { backend, ing, type PathSpec, rule } from "./testdata.js";

/** The Service a request reaches ("404" when nothing matches). */
function serve(t: RouteTable, host: string | undefined, target: string): string {
  const m = matchRoute(t, host, target);
  if (!m) return "404";
  return m.backend.kind === "service" ? m.backend.service : m.backend.description;
}

const paths = (...ps: Array<[string, string, string]>): PathSpec[] =>
  ps.map(([type, path, svc]) => ({ type, path, svc }));

describe("routing: the documentation's multiple-path examples", () => {
  // Kubernetes docs, Ingress "Examples" table: rows with several paths, and the default backend.
  const table = (...ps: Array<[string, string, string]>) =>
    buildRoutes([
      ing("t", { defaultBackend: backend("default-be"), rules: [rule(undefined, ...paths(...ps))] }),
    ]);

  it("Prefix /, /aaa: /aaa/ccc matches the /aaa prefix", () => {
    assert.equal(serve(table(["Prefix", "/", "root"], ["Prefix", "/aaa", "aaa"]), "x", "/aaa/ccc"), "aaa");
  });
  it("Prefix /, /aaa, /aaa/bbb: /aaa/bbb matches the /aaa/bbb prefix", () => {
    const t = table(["Prefix", "/", "root"], ["Prefix", "/aaa", "aaa"], ["Prefix", "/aaa/bbb", "bbb"]);
    assert.equal(serve(t, "x", "/aaa/bbb"), "bbb");
    assert.equal(serve(t, "x", "/ccc"), "root");
  });
  it("Prefix /aaa: /ccc uses the default backend", () => {
    assert.equal(serve(table(["Prefix", "/aaa", "aaa"]), "x", "/ccc"), "default-be");
  });
  it("Mixed /foo (Prefix) and /foo (Exact): /foo prefers Exact, /foo/ and /foo/x take Prefix", () => {
    for (const order of [0, 1]) {
      const ps: Array<[string, string, string]> = [
        ["Prefix", "/foo", "prefix"],
        ["Exact", "/foo", "exact"],
      ];
      const t = table(...(order ? ps.reverse() : ps));
      assert.equal(serve(t, "x", "/foo"), "exact");
      assert.equal(serve(t, "x", "/foo/"), "prefix");
      assert.equal(serve(t, "x", "/foo/x"), "prefix");
    }
  });
  it("the longest match wins whatever the order written", () => {
    const t = table(["Prefix", "/a", "a"], ["Prefix", "/a/b/c", "abc"], ["Prefix", "/a/b", "ab"]);
    assert.equal(serve(t, "x", "/a/b/c/d"), "abc");
    assert.equal(serve(t, "x", "/a/b/x"), "ab");
    assert.equal(serve(t, "x", "/a/bc"), "a");
    assert.equal(serve(t, "x", "/b"), "default-be");
  });
  it("query strings are ignored for matching", () => {
    const t = table(["Exact", "/search", "search"]);
    assert.equal(serve(t, "x", "/search?q=/admin&x=1"), "search");
  });
});

describe("routing: hosts", () => {
  const t = buildRoutes([
    ing("hosts", {
      rules: [
        rule("foo.bar.com", { path: "/", svc: "exact" }),
        rule("*.foo.com", { path: "/", svc: "wildcard" }),
        rule(undefined, { path: "/any", svc: "hostless" }),
      ],
    }),
  ]);

  it("an exact host matches itself only", () => {
    assert.equal(serve(t, "foo.bar.com", "/"), "exact");
    assert.equal(serve(t, "bar.com", "/"), "404");
    assert.equal(serve(t, "x.foo.bar.com", "/"), "404");
  });
  it("*.foo.com matches bar.foo.com, not foo.com nor baz.bar.foo.com", () => {
    assert.equal(serve(t, "bar.foo.com", "/"), "wildcard");
    assert.equal(serve(t, "foo.com", "/"), "404");
    assert.equal(serve(t, "baz.bar.foo.com", "/"), "404");
    assert.equal(serve(t, ".foo.com", "/"), "404");
  });
  it("host matching is case-insensitive and ignores the port and a trailing dot", () => {
    assert.equal(serve(t, "FOO.Bar.COM", "/"), "exact");
    assert.equal(serve(t, "foo.bar.com:8443", "/"), "exact");
    assert.equal(serve(t, "Bar.Foo.Com:80", "/"), "wildcard");
    assert.equal(serve(t, "foo.bar.com.", "/"), "exact");
  });
  it("rules without a host apply to every host, IPs, and requests without Host", () => {
    assert.equal(serve(t, "unknown.example", "/any/thing"), "hostless");
    assert.equal(serve(t, "172.18.0.2:30080", "/any"), "hostless");
    assert.equal(serve(t, "[fd00::1]:80", "/any"), "hostless");
    assert.equal(serve(t, undefined, "/any"), "hostless");
    assert.equal(serve(t, "foo.bar.com", "/any"), "exact", "the exact host's / shadows it");
  });
  it("the authority of an absolute-form target overrides Host", () => {
    assert.equal(serve(t, "nothing.example", "http://foo.bar.com/"), "exact");
    assert.equal(serve(t, "foo.bar.com", "http://user@bar.foo.com:80/x"), "wildcard");
  });
  it("an exact host's paths shadow the wildcard's; paths it lacks fall through to wildcard, then host-less", () => {
    const layered = buildRoutes([
      ing("layers", {
        rules: [
          rule("a.foo.com", { path: "/api", svc: "a-api" }),
          rule("*.foo.com", { path: "/api", svc: "w-api" }, { path: "/web", svc: "w-web" }),
          rule(undefined, { path: "/", svc: "catchall" }),
        ],
      }),
    ]);
    assert.equal(serve(layered, "a.foo.com", "/api/v1"), "a-api");
    assert.equal(serve(layered, "a.foo.com", "/web"), "w-web");
    assert.equal(serve(layered, "a.foo.com", "/other"), "catchall");
    assert.equal(serve(layered, "b.foo.com", "/api"), "w-api");
    assert.equal(serve(layered, "foo.com", "/api"), "catchall");
  });
});

describe("routing: several Ingress objects", () => {
  it("rules for one host are merged across Ingresses and namespaces, precedence over the merge", () => {
    const t = buildRoutes([
      ing("shop", { rules: [rule("shop.example", { path: "/", svc: "front" })] }, { ns: "web" }),
      ing("api", { rules: [rule("shop.example", { path: "/api", svc: "api" })] }, { ns: "backend" }),
      ing("exact", { rules: [rule("shop.example", { path: "/api", type: "Exact", svc: "api-root" })] }),
    ]);
    assert.equal(serve(t, "shop.example", "/"), "front");
    assert.equal(serve(t, "shop.example", "/api/orders"), "api");
    assert.equal(serve(t, "shop.example", "/api"), "api-root");
    const m = matchRoute(t, "shop.example", "/api/x");
    assert.equal(m?.backend.kind === "service" && m.backend.namespace, "backend");
    assert.equal(m?.route?.ingress, "backend/api");
    assert.deepEqual(t.conflicts, []);
  });

  it("the same host+path in two Ingresses: the older wins and the newer is reported", () => {
    const newer = ing(
      "newer",
      { rules: [rule("h.example", { path: "/x/", svc: "new" })] },
      { created: "2026-02-01T00:00:00Z" },
    );
    const older = ing(
      "older",
      { rules: [rule("h.example", { path: "/x", svc: "old" })] },
      { created: "2026-01-01T00:00:00Z" },
    );
    const t = buildRoutes([newer, older]);
    assert.equal(serve(t, "h.example", "/x/y"), "old");
    assert.equal(t.conflicts.length, 1);
    assert.match(
      t.conflicts[0]!,
      /Ingress default\/newer: h\.example path \/x\/ \(Prefix\) is already routed by Ingress default\/older/,
    );
  });

  it("one default backend: the oldest Ingress's, the others reported", () => {
    const t = buildRoutes([
      ing("b", { defaultBackend: backend("second") }, { created: "2026-01-02T00:00:00Z" }),
      ing("a", { defaultBackend: backend("first") }, { created: "2026-01-01T00:00:00Z" }),
    ]);
    assert.equal(serve(t, "anything", "/whatever"), "first");
    assert.match(t.conflicts.join("\n"), /Ingress default\/b: defaultBackend ignored; Ingress default\/a/);
  });

  it("404 when nothing matches and there is no default backend; deleted Ingresses route nothing", () => {
    const gone = ing("gone", { rules: [rule(undefined, { path: "/", svc: "x" })] });
    gone.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
    const t = buildRoutes([gone, ing("h", { rules: [rule("a.example", { path: "/a", svc: "a" })] })]);
    assert.equal(serve(t, "a.example", "/b"), "404");
    assert.equal(serve(t, "b.example", "/a"), "404");
    assert.equal(serve(buildRoutes([]), "a", "/"), "404");
  });

  it("backends by port name or number, and resource backends, are keyed per namespace", () => {
    const t = buildRoutes([
      ing(
        "p",
        {
          defaultBackend: { resource: { apiGroup: "k8s.example.com", kind: "Bucket", name: "static" } },
          rules: [
            rule(undefined, { path: "/n", svc: "web", port: "http" }, { path: "/p", svc: "web", port: 8080 }),
          ],
        },
        { ns: "shop" },
      ),
    ]);
    assert.deepEqual([...t.backends.keys()].sort(), [
      "shop/resource:k8s.example.com/Bucket/static",
      "shop/web:8080",
      "shop/web:http",
    ]);
    assert.equal(serve(t, "x", "/zzz"), "k8s.example.com/Bucket/static");
  });
});
