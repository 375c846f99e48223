/**
 * Egress semantics, policyTypes defaulting, and ingress and egress together, on the e2e
 * topology; every case states the full matrix and checks both evaluation paths.
 */
import { describe, test } from "node:test";
import { allAllowed, assertReachability, modelOf, policy } from "./test-topology.js";

describe("egress", () => {
  test("deny all egress in x: x's pods reach nobody, others still reach x (replies are implicit)", () => {
    const m = modelOf([policy("x", "deny-egress", { podSelector: {}, policyTypes: ["Egress"] })]);
    const want = allAllowed(m).expect({ namespace: "x" }, {}, false).allowLoopback();
    assertReachability(m, 80, "TCP", want);
    assertReachability(m, 81, "UDP", want);
  });

  test("egress to a namespace by label", () => {
    const m = modelOf([
      policy("x", "to-y", {
        podSelector: { matchLabels: { pod: "a" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] }],
      }),
    ]);
    const want = allAllowed(m).expect({ namespace: "x", pod: "a" }, {}, false).allowLoopback();
    want.expect({ namespace: "x", pod: "a" }, { namespace: "y" }, true);
    assertReachability(m, 80, "TCP", want);
  });

  test("egress on one port: other ports and protocols are denied", () => {
    const m = modelOf([
      policy("x", "egress-81", {
        podSelector: { matchLabels: { pod: "a" } },
        policyTypes: ["Egress"],
        egress: [{ ports: [{ protocol: "TCP", port: 81 }] }],
      }),
    ]);
    assertReachability(m, 81, "TCP", allAllowed(m));
    const denied = allAllowed(m).expect({ namespace: "x", pod: "a" }, {}, false).allowLoopback();
    assertReachability(m, 80, "TCP", denied);
    assertReachability(m, 81, "UDP", denied);
  });

  test("egress to an ipBlock with except", () => {
    const m = modelOf([
      policy("x", "to-cidr", {
        podSelector: { matchLabels: { pod: "a" } },
        egress: [{ to: [{ ipBlock: { cidr: "10.244.0.0/16", except: ["10.244.2.0/24"] } }] }],
      }),
    ]);
    // policyTypes defaults to Ingress+Egress (egress rules present), and ingress has no rules.
    const want = allAllowed(m)
      .expect({ namespace: "x", pod: "a" }, { namespace: "y" }, false)
      .expect({}, { namespace: "x", pod: "a" }, false)
      .allowLoopback();
    assertReachability(m, 80, "TCP", want);
  });

  test("policyTypes defaulting: egress rules imply Egress; egress: [] does not", () => {
    const withEgress = modelOf([
      policy("x", "p", { podSelector: {}, egress: [{ to: [{ podSelector: {} }] }] }),
    ]);
    const want = allAllowed(withEgress)
      .expect({ namespace: "x" }, {}, false)
      .expect({ namespace: "x" }, { namespace: "x" }, false)
      .expect({}, { namespace: "x" }, false)
      .allowLoopback();
    // ingress is isolated with no rules; egress only within x, but x's ingress denies that too.
    assertReachability(withEgress, 80, "TCP", want);
    const emptyEgress = modelOf([policy("x", "p", { podSelector: {}, ingress: [{}], egress: [] })]);
    assertReachability(emptyEgress, 80, "TCP", allAllowed(emptyEgress));
  });

  test("egress: [] denies; [{}] and [{to: []}] allow every destination", () => {
    const denied = modelOf([policy("x", "p", { podSelector: {}, policyTypes: ["Egress"], egress: [] })]);
    assertReachability(
      denied,
      80,
      "TCP",
      allAllowed(denied).expect({ namespace: "x" }, {}, false).allowLoopback(),
    );
    for (const rule of [{}, { to: [] }, { to: [], ports: [] }]) {
      const m = modelOf([policy("x", "p", { podSelector: {}, policyTypes: ["Egress"], egress: [rule] })]);
      assertReachability(m, 80, "TCP", allAllowed(m));
    }
  });

  test("explicit policyTypes [Egress] ignores ingress rules", () => {
    const m = modelOf([
      policy("x", "p", {
        podSelector: {},
        policyTypes: ["Egress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: "nobody" } } }] }],
        egress: [{}],
      }),
    ]);
    assertReachability(m, 80, "TCP", allAllowed(m));
  });

  test("egress and ingress both apply: x/a may only go to y, y/b only accepts z", () => {
    const m = modelOf([
      policy("x", "a-to-y", {
        podSelector: { matchLabels: { pod: "a" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] }],
      }),
      policy("y", "b-from-z", {
        podSelector: { matchLabels: { pod: "b" } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: "z" } } }] }],
      }),
    ]);
    const want = allAllowed(m)
      .expect({ namespace: "x", pod: "a" }, {}, false)
      .expect({ namespace: "x", pod: "a" }, { namespace: "y" }, true)
      .expect({}, { namespace: "y", pod: "b" }, false)
      .expect({ namespace: "z" }, { namespace: "y", pod: "b" }, true)
      .allowLoopback();
    assertReachability(m, 80, "TCP", want);
  });

  test("return traffic is implicit: a pod that may send nothing still answers", () => {
    const m = modelOf([
      policy("x", "b-no-egress", { podSelector: { matchLabels: { pod: "b" } }, policyTypes: ["Egress"] }),
      policy("x", "a-no-ingress", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Ingress"] }),
    ]);
    const want = allAllowed(m)
      .expect({ namespace: "x", pod: "b" }, {}, false)
      .expect({}, { namespace: "x", pod: "a" }, false)
      .allowLoopback();
    // x/a -> x/b works although x/a accepts nothing and x/b sends nothing: replies are not
    // new connections.
    assertReachability(m, 80, "TCP", want);
  });

  test("multiple egress policies add up", () => {
    const m = modelOf([
      policy("x", "to-y", {
        podSelector: { matchLabels: { pod: "c" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] }],
      }),
      policy("x", "to-z-on-udp", {
        podSelector: { matchLabels: { pod: "c" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: "z" } } }], ports: [{ protocol: "UDP" }] }],
      }),
    ]);
    const tcp = allAllowed(m)
      .expect({ namespace: "x", pod: "c" }, {}, false)
      .expect({ namespace: "x", pod: "c" }, { namespace: "y" }, true)
      .allowLoopback();
    assertReachability(m, 80, "TCP", tcp);
    const udp = allAllowed(m)
      .expect({ namespace: "x", pod: "c" }, {}, false)
      .expect({ namespace: "x", pod: "c" }, { namespace: "y" }, true)
      .expect({ namespace: "x", pod: "c" }, { namespace: "z" }, true)
      .allowLoopback();
    assertReachability(m, 81, "UDP", udp);
  });
});
