/**
 * Ports in rules: numbers, endPort ranges, protocols (SCTP parsed and kept apart), named
 * ports resolved per destination pod (ingress: the selected pod; egress: the peer), and a
 * named port no pod has matching nothing.
 */
import { describe, test } from "node:test";
import { allAllowed, assertReachability, e2eTopology, modelOf, policy } from "./test-topology.js";
import type { PolicyPod } from "./types.js";

const isolateX = { podSelector: {}, policyTypes: ["Ingress"] };

describe("ports", () => {
  test("a numeric port allows that port and protocol only", () => {
    const m = modelOf([
      policy("x", "p", { podSelector: {}, ingress: [{ ports: [{ protocol: "TCP", port: 81 }] }] }),
    ]);
    assertReachability(m, 81, "TCP", allAllowed(m));
    const denied = allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback();
    assertReachability(m, 80, "TCP", denied);
    assertReachability(m, 81, "UDP", denied);
  });

  test("protocol without port: every port of that protocol", () => {
    const m = modelOf([policy("x", "p", { podSelector: {}, ingress: [{ ports: [{ protocol: "UDP" }] }] })]);
    assertReachability(m, 80, "UDP", allAllowed(m));
    assertReachability(m, 65535, "UDP", allAllowed(m));
    assertReachability(m, 80, "TCP", allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback());
  });

  test("a port without protocol means TCP", () => {
    const m = modelOf([policy("x", "p", { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] })]);
    assertReachability(m, 80, "TCP", allAllowed(m));
    assertReachability(m, 80, "UDP", allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback());
  });

  test("endPort: the inclusive range port..endPort", () => {
    const m = modelOf([
      policy("x", "range", {
        podSelector: {},
        ingress: [{ ports: [{ protocol: "TCP", port: 80, endPort: 82 }] }],
      }),
    ]);
    const denied = allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback();
    assertReachability(m, 79, "TCP", denied);
    for (const port of [80, 81, 82]) assertReachability(m, port, "TCP", allAllowed(m));
    assertReachability(m, 83, "TCP", denied);
  });

  test("SCTP rules match SCTP only", () => {
    const m = modelOf([
      policy("x", "sctp", { podSelector: {}, ingress: [{ ports: [{ protocol: "SCTP", port: 80 }] }] }),
    ]);
    assertReachability(m, 80, "SCTP", allAllowed(m));
    assertReachability(m, 80, "TCP", allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback());
  });

  test("named port: resolves on the destination pod, on its protocol", () => {
    const m = modelOf([
      policy("x", "named", {
        podSelector: {},
        ingress: [{ ports: [{ port: "serve-81-udp", protocol: "UDP" }] }],
      }),
    ]);
    assertReachability(m, 81, "UDP", allAllowed(m));
    const denied = allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback();
    assertReachability(m, 80, "UDP", denied);
    assertReachability(m, 81, "TCP", denied);
  });

  test("named port with the wrong protocol matches nothing", () => {
    // serve-81-udp is UDP; a TCP rule on that name matches no container port.
    const m = modelOf([
      policy("x", "named", { podSelector: {}, ingress: [{ ports: [{ port: "serve-81-udp" }] }] }),
    ]);
    const denied = allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback();
    assertReachability(m, 81, "TCP", denied);
    assertReachability(m, 81, "UDP", denied);
  });

  test("a named port no pod has matches nothing", () => {
    const m = modelOf([
      policy("x", "nobody", { podSelector: {}, ingress: [{ ports: [{ port: "no-such-port" }] }] }),
    ]);
    const denied = allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback();
    assertReachability(m, 80, "TCP", denied);
    assertReachability(m, 81, "TCP", denied);
  });

  test("one name, different numbers per pod: each destination resolves its own", () => {
    const topo = e2eTopology();
    const web = (pod: PolicyPod, port: number): PolicyPod => ({
      ...pod,
      namedPorts: [{ name: "web", port, protocol: "TCP" }],
    });
    topo.pods = topo.pods.map((p) => (p.name === "a" ? web(p, 80) : p.name === "b" ? web(p, 81) : p));
    const ingress = modelOf(
      [policy("x", "web", { podSelector: {}, ingress: [{ ports: [{ port: "web" }] }] })],
      topo,
    );
    // x/c has no port named web: nothing reaches it (but itself).
    assertReachability(
      ingress,
      80,
      "TCP",
      allAllowed(ingress)
        .expect({}, { namespace: "x", pod: "b" }, false)
        .expect({}, { namespace: "x", pod: "c" }, false)
        .allowLoopback(),
    );
    assertReachability(
      ingress,
      81,
      "TCP",
      allAllowed(ingress)
        .expect({}, { namespace: "x", pod: "a" }, false)
        .expect({}, { namespace: "x", pod: "c" }, false)
        .allowLoopback(),
    );
    // Egress: the name resolves on each destination (peer) pod.
    const egress = modelOf(
      [
        policy("z", "web-out", {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [{ ports: [{ port: "web" }] }],
        }),
      ],
      topo,
    );
    assertReachability(
      egress,
      80,
      "TCP",
      allAllowed(egress)
        .expect({ namespace: "z" }, {}, false)
        .expect({ namespace: "z" }, { pod: "a" }, true)
        .allowLoopback(),
    );
  });

  test("ports and peers in one rule are ANDed; two rules are ORed", () => {
    const m = modelOf([
      policy("x", "p", {
        podSelector: {},
        ingress: [
          { from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }], ports: [{ port: 80 }] },
          { from: [{ namespaceSelector: { matchLabels: { ns: "z" } } }], ports: [{ port: 81 }] },
        ],
      }),
    ]);
    const base = () => allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback();
    assertReachability(m, 80, "TCP", base().expect({ namespace: "y" }, { namespace: "x" }, true));
    assertReachability(m, 81, "TCP", base().expect({ namespace: "z" }, { namespace: "x" }, true));
  });

  test("isolation without rules denies every port and protocol", () => {
    const m = modelOf([policy("x", "deny", isolateX)]);
    for (const [port, proto] of [
      [80, "TCP"],
      [81, "UDP"],
      [80, "SCTP"],
    ] as const) {
      assertReachability(m, port, proto, allAllowed(m).expect({}, { namespace: "x" }, false).allowLoopback());
    }
  });
});
