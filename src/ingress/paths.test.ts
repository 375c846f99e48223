import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { comparePrecedence, pathMatches, pathPattern, requestPath, samePattern } from "./paths.js";

const matches = (type: string, path: string, request: string) =>
  pathMatches(pathPattern(path, type), requestPath(request));

describe("Ingress path matching: the Kubernetes documentation's examples table", () => {
  // https://kubernetes.io/docs/concepts/services-networking/ingress/#examples (single paths)
  const table: Array<[string, string, string, boolean]> = [
    ["Prefix", "/", "/", true],
    ["Prefix", "/", "/anything/at/all", true],
    ["Exact", "/foo", "/foo", true],
    ["Exact", "/foo", "/bar", false],
    ["Exact", "/foo", "/foo/", false],
    ["Exact", "/foo/", "/foo", false],
    ["Prefix", "/foo", "/foo", true],
    ["Prefix", "/foo", "/foo/", true],
    ["Prefix", "/foo/", "/foo", true],
    ["Prefix", "/foo/", "/foo/", true],
    ["Prefix", "/aaa/bb", "/aaa/bbb", false],
    ["Prefix", "/aaa/bbb", "/aaa/bbb", true],
    ["Prefix", "/aaa/bbb/", "/aaa/bbb", true],
    ["Prefix", "/aaa/bbb", "/aaa/bbb/", true],
    ["Prefix", "/aaa/bbb", "/aaa/bbb/ccc", true],
    ["Prefix", "/aaa/bbb", "/aaa/bbbxyz", false],
    ["Prefix", "/aaa", "/ccc", false],
    // The note under the table: /foo/bar matches /foo/bar/baz, not /foo/barbaz.
    ["Prefix", "/foo/bar", "/foo/bar/baz", true],
    ["Prefix", "/foo/bar", "/foo/barbaz", false],
  ];
  for (const [type, path, request, want] of table) {
    it(`${type} ${path} ${want ? "matches" : "does not match"} ${request}`, () => {
      assert.equal(matches(type, path, request), want);
    });
  }

  it("matching is case-sensitive", () => {
    assert.equal(matches("Prefix", "/foo", "/FOO"), false);
    assert.equal(matches("Exact", "/Foo", "/foo"), false);
  });

  it("ImplementationSpecific is Prefix; an empty path is /", () => {
    assert.equal(matches("ImplementationSpecific", "/foo", "/foo/bar"), true);
    assert.equal(matches("ImplementationSpecific", "/foo", "/foobar"), false);
    assert.equal(matches("ImplementationSpecific", "", "/x"), true);
    assert.equal(pathPattern(undefined, "ImplementationSpecific").type, "Prefix");
  });
});

describe("request path normalization", () => {
  it("ignores the query string and fragment", () => {
    assert.equal(matches("Exact", "/foo", "/foo?x=/bar"), true);
    assert.equal(matches("Exact", "/foo", "/foo#frag"), true);
    assert.equal(matches("Prefix", "/foo", "/foobar?/foo"), false);
  });

  it("resolves dot segments and empty elements, so routing cannot be bypassed", () => {
    assert.deepEqual(requestPath("/public/../admin"), { elements: ["admin"], trailingSlash: false });
    assert.equal(matches("Prefix", "/public", "/public/../admin"), false);
    assert.equal(matches("Prefix", "/admin", "/public/%2e%2e/admin"), true);
    assert.equal(matches("Prefix", "/a/b", "/a//b"), true);
    assert.equal(matches("Exact", "/a", "/./a"), true);
    assert.deepEqual(requestPath("/../../x/"), { elements: ["x"], trailingSlash: true });
  });

  it("decodes each element, but an encoded slash stays inside its element", () => {
    assert.equal(matches("Exact", "/foo", "/f%6Fo"), true);
    assert.equal(matches("Prefix", "/a/b", "/a%2Fb"), false);
    assert.equal(matches("Exact", "/caf\u00e9", "/caf%C3%A9"), true);
    assert.deepEqual(requestPath("/bad%zzescape"), { elements: ["bad%zzescape"], trailingSlash: false });
  });

  it("takes the path of an absolute-form target", () => {
    assert.deepEqual(requestPath("http://a.example/x/y?q"), { elements: ["x", "y"], trailingSlash: false });
    assert.deepEqual(requestPath("http://a.example"), { elements: [], trailingSlash: false });
    assert.deepEqual(requestPath("*"), { elements: [], trailingSlash: false });
  });
});

describe("path precedence", () => {
  const p = (path: string, type = "Prefix") => pathPattern(path, type);
  it("longest first, then Exact over Prefix; a trailing slash does not make a path longer", () => {
    assert.ok(comparePrecedence(p("/aaa/bbb"), p("/aaa")) < 0);
    assert.ok(comparePrecedence(p("/"), p("/aaa")) > 0);
    assert.ok(comparePrecedence(p("/foo", "Exact"), p("/foo")) < 0);
    assert.ok(comparePrecedence(p("/foo", "Exact"), p("/foo/")) < 0);
    assert.equal(comparePrecedence(p("/foo"), p("/bar")), 0);
  });

  it("knows when two paths match the same requests", () => {
    assert.equal(samePattern(p("/foo"), p("/foo/")), true);
    assert.equal(samePattern(p("/foo", "Exact"), p("/foo/", "Exact")), false);
    assert.equal(samePattern(p("/foo", "Exact"), p("/foo")), false);
    assert.equal(samePattern(p("/foo"), p("/foo", "ImplementationSpecific")), true);
  });
});
