import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mapSelectorMatches, parseSelectorString, selectorMatches, selectsEverything } from "./selector.js";

const web = { app: "web", tier: "frontend", env: "prod" };

describe("selectorMatches (metav1.LabelSelector)", () => {
  it("selects nothing when null or undefined, everything when {}", () => {
    assert.equal(selectorMatches(null, web), false);
    assert.equal(selectorMatches(undefined, web), false);
    assert.equal(selectorMatches({}, web), true);
    assert.equal(selectorMatches({}, {}), true);
    assert.equal(selectorMatches({ matchLabels: {}, matchExpressions: [] }, undefined), true);
    assert.equal(selectsEverything({}), true);
    assert.equal(selectsEverything(null), false);
    assert.equal(selectsEverything({ matchLabels: { a: "b" } }), false);
  });

  it("matchLabels requires every pair", () => {
    assert.equal(selectorMatches({ matchLabels: { app: "web" } }, web), true);
    assert.equal(selectorMatches({ matchLabels: { app: "web", tier: "backend" } }, web), false);
    assert.equal(selectorMatches({ matchLabels: { app: "web" } }, {}), false);
    assert.equal(selectorMatches({ matchLabels: { app: "web" } }, null), false);
  });

  it("In, NotIn, Exists and DoesNotExist", () => {
    const m = (operator: string, values?: string[], key = "tier") =>
      selectorMatches({ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }, web);
    assert.equal(m("In", ["frontend", "edge"]), true);
    assert.equal(m("In", ["backend"]), false);
    assert.equal(m("In", ["x"], "missing"), false);
    assert.equal(m("NotIn", ["backend"]), true);
    assert.equal(m("NotIn", ["frontend"]), false);
    assert.equal(m("NotIn", ["x"], "missing"), true, "NotIn matches objects without the label");
    assert.equal(m("Exists"), true);
    assert.equal(m("Exists", undefined, "missing"), false);
    assert.equal(m("DoesNotExist"), false);
    assert.equal(m("DoesNotExist", undefined, "missing"), true);
    assert.equal(m("Gt", ["1"]), false, "an unknown operator never selects");
  });

  it("ANDs matchLabels and every expression", () => {
    const sel = {
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "env", operator: "In", values: ["prod"] },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    };
    assert.equal(selectorMatches(sel, web), true);
    assert.equal(selectorMatches(sel, { ...web, legacy: "true" }), false);
  });

  it("treats an empty label value as present", () => {
    const sel = { matchExpressions: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists" }] };
    assert.equal(selectorMatches(sel, { "node-role.kubernetes.io/control-plane": "" }), true);
  });
});

describe("mapSelectorMatches (Service selector)", () => {
  it("selects nothing when empty or absent", () => {
    assert.equal(mapSelectorMatches({}, web), false);
    assert.equal(mapSelectorMatches(undefined, web), false);
    assert.equal(mapSelectorMatches(null, web), false);
  });

  it("requires every pair", () => {
    assert.equal(mapSelectorMatches({ app: "web" }, web), true);
    assert.equal(mapSelectorMatches({ app: "web", env: "dev" }, web), false);
    assert.equal(mapSelectorMatches({ app: "web" }, undefined), false);
  });
});

describe("parseSelectorString", () => {
  it("parses every requirement form", () => {
    assert.deepEqual(
      parseSelectorString("app=web,tier in (a, b),!legacy,env!=prod,release,x==y,z notin (c)"),
      {
        matchExpressions: [
          { key: "app", operator: "In", values: ["web"] },
          { key: "tier", operator: "In", values: ["a", "b"] },
          { key: "legacy", operator: "DoesNotExist" },
          { key: "env", operator: "NotIn", values: ["prod"] },
          { key: "release", operator: "Exists" },
          { key: "x", operator: "In", values: ["y"] },
          { key: "z", operator: "NotIn", values: ["c"] },
        ],
      },
    );
  });

  it("gives {} (everything) for an empty string and accepts prefixed keys and empty values", () => {
    assert.deepEqual(parseSelectorString(""), {});
    assert.deepEqual(parseSelectorString("example.com/role="), {
      matchExpressions: [{ key: "example.com/role", operator: "In", values: [""] }],
    });
  });

  it("agrees with selectorMatches", () => {
    const sel = parseSelectorString("app=web,env!=dev,!legacy");
    assert.equal(selectorMatches(sel, web), true);
    assert.equal(selectorMatches(sel, { ...web, env: "dev" }), false);
    assert.equal(selectorMatches(parseSelectorString("env!=dev"), {}), true);
  });

  it("rejects malformed selectors naming the position", () => {
    assert.throws(
      () => parseSelectorString("app=web,"),
      /invalid label selector "app=web," at character 9: expected a requirement after ','/,
    );
    assert.throws(() => parseSelectorString("tier in a,b"), /at character 9: expected '\(' after 'in'/);
    assert.throws(() => parseSelectorString("tier in (a b)"), /expected ',' or '\)' in the value set/);
    assert.throws(
      () => parseSelectorString("app web"),
      /at character 5: expected '=', '==', '!=', 'in', 'notin' or ',' after key "app"/,
    );
    assert.throws(() => parseSelectorString("=web"), /at character 1: expected a label key/);
    assert.throws(
      () => parseSelectorString("a/b/c=x"),
      /key "a\/b\/c": a qualified name may contain at most one '\/'/,
    );
    assert.throws(
      () => parseSelectorString("app=-bad"),
      /value "-bad": a label value must be empty or consist of/,
    );
    assert.throws(() => parseSelectorString("app=web tier=x"), /expected ',' between requirements/);
  });
});
