import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  configMapKey,
  dns1035Label,
  dns1123Label,
  dns1123Subdomain,
  ianaServiceName,
  labelValue,
  qualifiedName,
  wildcardDns1123Subdomain,
} from "./names.js";

const ok = (problems: string[]) => assert.deepEqual(problems, []);
const bad = (problems: string[], pattern?: RegExp) => {
  assert.ok(problems.length > 0, "expected a problem");
  if (pattern) assert.match(problems.join("; "), pattern);
};

describe("name grammars", () => {
  it("DNS-1123 label", () => {
    ok(dns1123Label("web"));
    ok(dns1123Label("123-abc"));
    ok(dns1123Label("a".repeat(63)));
    bad(dns1123Label("a".repeat(64)), /no more than 63 characters/);
    bad(dns1123Label("Web"), /RFC 1123 label/);
    bad(dns1123Label("-web"));
    bad(dns1123Label("web-"));
    bad(dns1123Label("a.b"));
    bad(dns1123Label(""));
  });

  it("DNS-1123 subdomain", () => {
    ok(dns1123Subdomain("example.com"));
    ok(dns1123Subdomain("web-7cd8795bb5-hhlp4"));
    bad(dns1123Subdomain("a..b"));
    bad(dns1123Subdomain("a_b"));
    bad(dns1123Subdomain(`${"a".repeat(63)}.`.repeat(4) + "a"), /no more than 253/);
  });

  it("DNS-1035 label starts with a letter", () => {
    ok(dns1035Label("web"));
    bad(dns1035Label("1web"), /RFC 1035 label/);
    bad(dns1035Label("web.x"));
  });

  it("wildcard subdomains only as a whole first label", () => {
    ok(wildcardDns1123Subdomain("*.example.com"));
    bad(wildcardDns1123Subdomain("*example.com"), /must start with '\*\.'/);
    bad(wildcardDns1123Subdomain("*.*.example.com"), /after '\*\.'/);
    bad(wildcardDns1123Subdomain("a.*.com"));
  });

  it("IANA_SVC_NAME", () => {
    ok(ianaServiceName("http"));
    ok(ianaServiceName("h2c-proxy"));
    ok(ianaServiceName("a".repeat(15)));
    bad(ianaServiceName("a".repeat(16)), /no more than 15 characters/);
    bad(ianaServiceName("8080"), /at least one letter/);
    bad(ianaServiceName("web--x"), /consecutive hyphens/);
    bad(ianaServiceName("-web"), /begin or end with a hyphen/);
    bad(ianaServiceName("web-"), /begin or end with a hyphen/);
    bad(ianaServiceName("Web"), /only lowercase letters, digits and '-'/);
  });

  it("qualified names (label keys)", () => {
    ok(qualifiedName("app"));
    ok(qualifiedName("app.kubernetes.io/name"));
    ok(qualifiedName("My_Key.x"));
    bad(qualifiedName("/app"), /prefix part must be non-empty/);
    bad(qualifiedName("example.com/"), /name part must be non-empty/);
    bad(qualifiedName("a/b/c"), /at most one '\/'/);
    bad(qualifiedName("Example.com/app"), /prefix part/);
    bad(qualifiedName("_app"), /name part must consist/);
    bad(qualifiedName("a".repeat(64)), /name part must be no more than 63/);
  });

  it("label values", () => {
    ok(labelValue(""));
    ok(labelValue("v1.2_3-x"));
    bad(labelValue("-x"));
    bad(labelValue("a b"));
    bad(labelValue("a".repeat(64)), /no more than 63/);
  });

  it("data keys", () => {
    ok(configMapKey("tls.crt"));
    ok(configMapKey(".dockerconfigjson"));
    bad(configMapKey(".."), /must not be '\.\.'/);
    bad(configMapKey("a/b"));
  });
});
