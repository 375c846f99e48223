/**
 * Ingress semantics on the e2e topology (x, y, z x a, b, c), cases written from the intent of
 * Kubernetes' NetworkPolicy e2e tests. Each case states the full expected matrix and checks
 * both evaluation paths (per-connection verdicts and pod sets) against it.
 */
import { describe, test } from "node:test";
import { allAllowed, assertReachability, modelOf, policy } from "./test-topology.js";

describe("ingress", () => {
  test("no policy: every pod reaches every pod", () => {
    const m = modelOf([]);
    assertReachability(m, 80, "TCP", allAllowed(m));
    assertReachability(m, 81, "UDP", allAllowed(m));
  });

  test("deny all ingress in x: nothing reaches x's pods, x still reaches out", () => {
    const m = modelOf([policy("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress"] })]);
    const want = allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback();
    assertReachability(m, 80, "TCP", want);
    assertReachability(m, 81, "UDP", want);
  });

  test("ingress: [] and an absent ingress list both deny; [{}] and [{from: []}] allow all", () => {
    for (const spec of [
      { podSelector: {}, ingress: [] },
      { podSelector: {}, policyTypes: ["Ingress"] },
    ]) {
      const m = modelOf([policy("x", "p", spec)]);
      assertReachability(m, 80, "TCP", allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback());
    }
    for (const spec of [
      { podSelector: {}, ingress: [{}] },
      { podSelector: {}, ingress: [{ from: [] }] },
      { podSelector: {}, ingress: [{ from: [], ports: [] }] },
    ]) {
      const m = modelOf([policy("x", "p", spec)]);
      assertReachability(m, 80, "TCP", allAllowed(m));
    }
  });

  test("allow from the same namespace only", () => {
    const m = modelOf([
      policy("x", "same-ns", { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }),
    ]);
    const want = allAllowed(m)
      .expect({ namespace: "y" }, { namespace: "x" }, false)
      .expect({ namespace: "z" }, { namespace: "x" }, false);
    assertReachability(m, 80, "TCP", want);
  });

  test("podSelector selects the target: only x/a is isolated", () => {
    const m = modelOf([
      policy("x", "a-from-b", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: "b" } } }] }],
      }),
    ]);
    const want = allAllowed(m).expect({}, { namespace: "x", pod: "a" }, false).allowLoopback();
    want.expect({ namespace: "x", pod: "b" }, { namespace: "x", pod: "a" }, true);
    assertReachability(m, 80, "TCP", want);
  });

  test("allow from a namespace by label", () => {
    const m = modelOf([
      policy("x", "from-y", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] }],
      }),
    ]);
    const want = allAllowed(m).expect({}, { namespace: "x", pod: "a" }, false).allowLoopback();
    want.expect({ namespace: "y" }, { namespace: "x", pod: "a" }, true);
    assertReachability(m, 80, "TCP", want);
  });

  test("namespace by the automatic kubernetes.io/metadata.name label and by matchExpressions", () => {
    const byName = policy("x", "p", {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "z" } } }] }],
    });
    const notIn = policy("x", "p", {
      podSelector: {},
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchExpressions: [{ key: "ns", operator: "NotIn", values: ["x", "y"] }] },
            },
          ],
        },
      ],
    });
    for (const p of [byName, notIn]) {
      const m = modelOf([p]);
      const want = allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback();
      want.expect({ namespace: "z" }, { namespace: "x" }, true);
      assertReachability(m, 80, "TCP", want);
    }
  });

  test("pod and namespace selector in one peer: both must match", () => {
    const m = modelOf([
      policy("x", "yb", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { ns: "y" } }, podSelector: { matchLabels: { pod: "b" } } },
            ],
          },
        ],
      }),
    ]);
    const want = allAllowed(m).expect({}, { namespace: "x", pod: "a" }, false).allowLoopback();
    want.expect({ namespace: "y", pod: "b" }, { namespace: "x", pod: "a" }, true);
    assertReachability(m, 80, "TCP", want);
  });

  test("pod and namespace selector as two peers: either matches", () => {
    const m = modelOf([
      policy("x", "y-or-b", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { ns: "y" } } },
              { podSelector: { matchLabels: { pod: "b" } } },
            ],
          },
        ],
      }),
    ]);
    const want = allAllowed(m).expect({}, { namespace: "x", pod: "a" }, false).allowLoopback();
    want.expect({ namespace: "y" }, { namespace: "x", pod: "a" }, true);
    want.expect({ namespace: "x", pod: "b" }, { namespace: "x", pod: "a" }, true);
    assertReachability(m, 80, "TCP", want);
  });

  test("namespaceSelector {} with a podSelector: that pod in every namespace", () => {
    const m = modelOf([
      policy("x", "any-b", {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: "b" } } }] }],
      }),
    ]);
    const want = allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback();
    want.expect({ pod: "b" }, { namespace: "x" }, true);
    assertReachability(m, 80, "TCP", want);
  });

  test("namespaceSelector {} alone: every pod of every namespace", () => {
    const m = modelOf([
      policy("x", "all-ns", { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] }),
    ]);
    assertReachability(m, 80, "TCP", allAllowed(m));
  });

  test("ipBlock with except: pod IPs inside the CIDR and outside the except", () => {
    const m = modelOf([
      policy("x", "cidr", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [
          { from: [{ ipBlock: { cidr: "10.244.0.0/16", except: ["10.244.2.0/24", "10.244.3.11/32"] } }] },
        ],
      }),
    ]);
    const want = allAllowed(m)
      .expect({ namespace: "y" }, { namespace: "x", pod: "a" }, false)
      .expect({ namespace: "z", pod: "b" }, { namespace: "x", pod: "a" }, false);
    assertReachability(m, 80, "TCP", want);
  });

  test("ipBlock of one pod's /32 admits only that pod", () => {
    const m = modelOf([
      policy("x", "one", { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: "10.244.3.12/32" } }] }] }),
    ]);
    const want = allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback();
    want.expect({ namespace: "z", pod: "c" }, { namespace: "x" }, true);
    assertReachability(m, 80, "TCP", want);
  });

  test("several policies selecting a pod: their rules add up", () => {
    const m = modelOf([
      policy("x", "from-yb", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { ns: "y" } }, podSelector: { matchLabels: { pod: "b" } } },
            ],
          },
        ],
      }),
      policy("x", "from-zc", {
        podSelector: { matchLabels: { pod: "a" } },
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { ns: "z" } }, podSelector: { matchLabels: { pod: "c" } } },
            ],
          },
        ],
      }),
      policy("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress"] }),
    ]);
    const want = allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback();
    want.expect({ namespace: "y", pod: "b" }, { namespace: "x", pod: "a" }, true);
    want.expect({ namespace: "z", pod: "c" }, { namespace: "x", pod: "a" }, true);
    assertReachability(m, 80, "TCP", want);
  });

  test("a policy in another namespace does not touch x's pods of the same labels", () => {
    const m = modelOf([
      policy("y", "deny-a", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Ingress"] }),
    ]);
    const want = allAllowed(m).expect({}, { namespace: "y", pod: "a" }, false).allowLoopback();
    assertReachability(m, 80, "TCP", want);
  });

  test("a peer podSelector without namespaceSelector means the policy's own namespace", () => {
    const m = modelOf([
      policy("y", "from-a", {
        podSelector: {},
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: "a" } } }] }],
      }),
    ]);
    const want = allAllowed(m).expect({}, { namespace: "y" }, false).allowLoopback();
    want.expect({ namespace: "y", pod: "a" }, { namespace: "y" }, true);
    assertReachability(m, 80, "TCP", want);
  });
});
