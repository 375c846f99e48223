/**
 * PolicyModel bookkeeping: the per-pod policy lists, and incremental add/replace/delete giving
 * exactly what a model built from scratch gives, with the affected pods reported.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { indices } from "./bitset.js";
import { compilePolicy, effectivePolicyTypes } from "./compile.js";
import { modelOf, policy, truthByVerdicts } from "./test-topology.js";

const denyX = policy("x", "deny", { podSelector: {}, policyTypes: ["Ingress"] });
const aEgress = policy("x", "a-egress", {
  podSelector: { matchLabels: { pod: "a" } },
  egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] }],
});

describe("PolicyModel", () => {
  test("policiesFor lists the isolating policies per direction, sorted", () => {
    const m = modelOf([denyX, aEgress]);
    assert.deepEqual(
      m.policiesFor(0, "ingress").map((p) => p.key),
      ["x/a-egress", "x/deny"],
    );
    assert.deepEqual(
      m.policiesFor(0, "egress").map((p) => p.key),
      ["x/a-egress"],
    );
    assert.equal(m.isolated(1, "egress"), false);
    assert.equal(m.isolated(3, "ingress"), false);
  });

  test("setPolicy and deletePolicy match a model built from scratch", () => {
    const m = modelOf([denyX]);
    const added = m.setPolicy(aEgress);
    assert.deepEqual(indices(added.ingress), [0]);
    assert.deepEqual(indices(added.egress), [0]);
    assert.equal(
      truthByVerdicts(m, 80, "TCP").toString(),
      truthByVerdicts(modelOf([denyX, aEgress]), 80, "TCP").toString(),
    );

    // Replace: the new selector (pod b) and the old (pod a) are both affected.
    const moved = policy("x", "a-egress", {
      podSelector: { matchLabels: { pod: "b" } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: "z" } } }] }],
    });
    const replaced = m.setPolicy(moved);
    assert.deepEqual(indices(replaced.ingress), [0], "the old version had Ingress");
    assert.deepEqual(indices(replaced.egress), [0, 1]);
    assert.equal(
      truthByVerdicts(m, 80, "TCP").toString(),
      truthByVerdicts(modelOf([denyX, moved]), 80, "TCP").toString(),
    );

    const removed = m.deletePolicy("x", "deny");
    assert.deepEqual(indices(removed.ingress), [0, 1, 2]);
    assert.deepEqual(indices(removed.egress), []);
    assert.equal(
      truthByVerdicts(m, 80, "TCP").toString(),
      truthByVerdicts(modelOf([moved]), 80, "TCP").toString(),
    );
    assert.deepEqual(indices(m.deletePolicy("x", "nothing").ingress), []);
    assert.deepEqual(
      m.policies().map((p) => p.key),
      ["x/a-egress"],
    );
  });

  test("a later duplicate of a policy replaces the earlier one", () => {
    const m = modelOf([
      denyX,
      policy("x", "deny", { podSelector: { matchLabels: { pod: "c" } }, policyTypes: ["Ingress"] }),
    ]);
    assert.equal(m.isolated(0, "ingress"), false);
    assert.equal(m.isolated(2, "ingress"), true);
  });

  test("effectivePolicyTypes defaults as the API server", () => {
    assert.deepEqual(effectivePolicyTypes({ podSelector: {} }), { ingress: true, egress: false });
    assert.deepEqual(effectivePolicyTypes({ podSelector: {}, egress: [{}] }), {
      ingress: true,
      egress: true,
    });
    assert.deepEqual(effectivePolicyTypes({ podSelector: {}, egress: [] }), { ingress: true, egress: false });
    assert.deepEqual(effectivePolicyTypes({ podSelector: {}, policyTypes: ["Egress"] }), {
      ingress: false,
      egress: true,
    });
    assert.deepEqual(effectivePolicyTypes({ podSelector: {}, policyTypes: [] }), {
      ingress: true,
      egress: false,
    });
  });

  test("compiled IR keeps rule, peer and port structure", () => {
    const m = modelOf([]);
    const cp = compilePolicy(
      policy("x", "p", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [
          {
            from: [{ ipBlock: { cidr: "10.244.2.0/24", except: ["10.244.2.10/32"] } }, { podSelector: {} }],
            ports: [{ port: 80, endPort: 90 }, { protocol: "UDP", port: "dns" }, { protocol: "SCTP" }],
          },
        ],
      }),
      m.universe,
    );
    assert.equal(cp.egress, null);
    const rule = cp.ingress![0]!;
    assert.deepEqual(rule.ports, [
      { index: 0, protocol: "TCP", kind: "range", from: 80, to: 90 },
      { index: 1, protocol: "UDP", kind: "named", name: "dns" },
      { index: 2, protocol: "SCTP", kind: "all" },
    ]);
    const [block, sel] = rule.peers!;
    assert.equal(block?.kind, "ipBlock");
    assert.equal(block?.kind === "ipBlock" && block.text, "10.244.2.0/24 except 10.244.2.10/32");
    assert.deepEqual(indices(block!.pods), [4, 5]);
    assert.deepEqual(indices(sel!.pods), [0, 1, 2]);
    assert.deepEqual(indices(rule.peerPods), [0, 1, 2, 4, 5]);
    assert.deepEqual(indices(cp.selected), [0]);
  });
});
