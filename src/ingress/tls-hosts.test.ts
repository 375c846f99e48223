import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backend, ing, rule } from "./testdata.js";
import { buildTlsHosts, secretForServerName } from "./tls-hosts.js";

describe("TLS certificate choice by server name (SNI)", () => {
  const t = buildTlsHosts([
    ing(
      "shop",
      {
        tls: [
          { hosts: ["shop.example", "www.shop.example"], secretName: "shop-tls" },
          { hosts: ["*.apps.example"], secretName: "apps-wildcard" },
        ],
        rules: [rule("shop.example", { path: "/", svc: "web" })],
      },
      { ns: "web", created: "2026-01-01T00:00:00Z" },
    ),
    ing(
      "admin",
      { tls: [{ hosts: ["admin.apps.example"], secretName: "admin-tls" }], defaultBackend: backend("x") },
      { ns: "ops", created: "2026-01-02T00:00:00Z" },
    ),
  ]);

  it("exact hosts, then the wildcard covering one label, else the default certificate", () => {
    assert.equal(secretForServerName(t, "shop.example"), "web/shop-tls");
    assert.equal(secretForServerName(t, "WWW.Shop.Example"), "web/shop-tls");
    assert.equal(secretForServerName(t, "admin.apps.example"), "ops/admin-tls");
    assert.equal(secretForServerName(t, "blog.apps.example"), "web/apps-wildcard");
    assert.equal(secretForServerName(t, "a.b.apps.example"), undefined);
    assert.equal(secretForServerName(t, "apps.example"), undefined);
    assert.equal(secretForServerName(t, undefined), undefined);
    assert.equal(secretForServerName(t, ""), undefined);
    assert.deepEqual([...t.secrets].sort(), ["ops/admin-tls", "web/apps-wildcard", "web/shop-tls"]);
  });

  it("an entry without hosts covers its Ingress's rule hosts", () => {
    const u = buildTlsHosts([
      ing("x", {
        tls: [{ secretName: "s" }],
        rules: [rule("a.example", { path: "/", svc: "a" }), rule("*.b.example", { path: "/", svc: "b" })],
      }),
    ]);
    assert.equal(secretForServerName(u, "a.example"), "default/s");
    assert.equal(secretForServerName(u, "c.b.example"), "default/s");
  });

  it("one host, two Secrets: the older Ingress wins and the conflict is reported", () => {
    const u = buildTlsHosts([
      ing(
        "new",
        { tls: [{ hosts: ["a.example"], secretName: "new" }], defaultBackend: backend("x") },
        { created: "2026-02-01T00:00:00Z" },
      ),
      ing(
        "old",
        { tls: [{ hosts: ["a.example"], secretName: "old" }], defaultBackend: backend("x") },
        { created: "2026-01-01T00:00:00Z" },
      ),
    ]);
    assert.equal(secretForServerName(u, "a.example"), "default/old");
    assert.equal(u.conflicts.length, 1);
    assert.match(u.conflicts[0]!, /TLS host a\.example uses Secret default\/new/);
    assert.deepEqual([...u.secrets], ["default/old"]);
  });
});
