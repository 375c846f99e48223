import { describe, it } from "node:test";
import { assertAccepts, assertRejects, networkPolicy } from "../test-support.js";

const ingressPort = (port: object) => networkPolicy({ ingress: [{ ports: [port] }] });
const ingressPeer = (peer: object) => networkPolicy({ ingress: [{ from: [peer] }] });

describe("NetworkPolicy validation", () => {
  it("accepts deny-all, allow-from-namespace and ipBlock policies", () => {
    assertAccepts(networkPolicy({ policyTypes: ["Ingress", "Egress"] }));
    assertAccepts(
      ingressPeer({
        namespaceSelector: { matchLabels: { team: "a" } },
        podSelector: { matchExpressions: [{ key: "app", operator: "Exists" }] },
      }),
    );
    assertAccepts(
      networkPolicy({ egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }] }),
    );
  });

  it("requires podSelector (which may be {})", () => {
    assertRejects(
      networkPolicy({ podSelector: undefined }),
      "spec.podSelector",
      undefined,
      /podSelector: \{\}/,
    );
    assertRejects(
      { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", metadata: { name: "np" } },
      "spec",
    );
  });

  it("checks selector syntax: operators and values", () => {
    const expr = (e: object) => networkPolicy({ podSelector: { matchExpressions: [e] } });
    assertRejects(
      expr({ key: "app", operator: "Equals", values: ["a"] }),
      "spec.podSelector.matchExpressions[0].operator",
      "Equals",
      /supported values: "In", "NotIn", "Exists", "DoesNotExist"/,
    );
    assertRejects(
      expr({ key: "app", operator: "In" }),
      "spec.podSelector.matchExpressions[0].values",
      undefined,
      /must be specified when operator is 'In'/,
    );
    assertRejects(
      expr({ key: "app", operator: "NotIn", values: [] }),
      "spec.podSelector.matchExpressions[0].values",
    );
    assertRejects(
      expr({ key: "app", operator: "Exists", values: ["a"] }),
      "spec.podSelector.matchExpressions[0].values",
      undefined,
      /Forbidden: may not be specified when operator is 'Exists'/,
    );
    assertRejects(
      expr({ key: "app", operator: "DoesNotExist", values: ["a"] }),
      "spec.podSelector.matchExpressions[0].values",
    );
    assertRejects(expr({ operator: "Exists" }), "spec.podSelector.matchExpressions[0].key");
    assertRejects(
      expr({ key: "bad key", operator: "Exists" }),
      "spec.podSelector.matchExpressions[0].key",
      "bad key",
    );
    assertRejects(
      expr({ key: "app", operator: "In", values: ["a b"] }),
      "spec.podSelector.matchExpressions[0].values[0]",
      "a b",
    );
    assertRejects(
      networkPolicy({ podSelector: { matchLabels: { app: "-x" } } }),
      "spec.podSelector.matchLabels[app]",
      "-x",
    );
  });

  it("checks policyTypes", () => {
    assertRejects(
      networkPolicy({ policyTypes: ["Ingress", "Both"] }),
      "spec.policyTypes[1]",
      "Both",
      /supported values: "Ingress", "Egress"/,
    );
    assertRejects(
      networkPolicy({ policyTypes: ["Egress", "Egress"] }),
      "spec.policyTypes[1]",
      "Egress",
      /Duplicate value/,
    );
  });

  it("checks rule ports: protocol, number or name, endPort", () => {
    assertRejects(ingressPort({ port: 80, protocol: "ICMP" }), "spec.ingress[0].ports[0].protocol", "ICMP");
    assertRejects(ingressPort({ port: 0 }), "spec.ingress[0].ports[0].port", 0);
    assertRejects(ingressPort({ port: "HTTP" }), "spec.ingress[0].ports[0].port", "HTTP");
    assertAccepts(ingressPort({ port: "http" }));
    assertAccepts(ingressPort({ port: 32000, endPort: 32768 }));
    assertRejects(
      ingressPort({ endPort: 90 }),
      "spec.ingress[0].ports[0].port",
      undefined,
      /must be specified when `endPort` is specified/,
    );
    assertRejects(
      ingressPort({ port: "http", endPort: 90 }),
      "spec.ingress[0].ports[0].endPort",
      undefined,
      /Forbidden: may not be specified when `port` is non-numeric/,
    );
    assertRejects(
      ingressPort({ port: 80, endPort: 79 }),
      "spec.ingress[0].ports[0].endPort",
      79,
      /greater than or equal to `port`/,
    );
    assertRejects(ingressPort({ port: 80, endPort: 70000 }), "spec.ingress[0].ports[0].endPort", 70000);
    assertRejects(
      networkPolicy({ egress: [{ ports: [{ port: 99999 }] }] }),
      "spec.egress[0].ports[0].port",
      99999,
    );
  });

  it("checks peers: one kind, ipBlock exclusive, cidr and except", () => {
    assertRejects(ingressPeer({}), "spec.ingress[0].from[0]", undefined, /must specify a peer/);
    assertRejects(
      ingressPeer({ ipBlock: { cidr: "10.0.0.0/8" }, podSelector: {} }),
      "spec.ingress[0].from[0]",
      undefined,
      /may not specify both ipBlock and another peer/,
    );
    assertRejects(
      ingressPeer({ ipBlock: { cidr: "10.0.0.0/33" } }),
      "spec.ingress[0].from[0].ipBlock.cidr",
      "10.0.0.0/33",
      /valid CIDR/,
    );
    assertRejects(
      ingressPeer({ ipBlock: { cidr: "10.0.0.1" } }),
      "spec.ingress[0].from[0].ipBlock.cidr",
      "10.0.0.1",
    );
    assertRejects(ingressPeer({ ipBlock: {} }), "spec.ingress[0].from[0].ipBlock.cidr");
    const except = (e: string) => ingressPeer({ ipBlock: { cidr: "10.0.0.0/16", except: [e] } });
    assertAccepts(except("10.0.5.0/24"));
    assertRejects(
      except("10.0.0.0/16"),
      "spec.ingress[0].from[0].ipBlock.except[0]",
      "10.0.0.0/16",
      /strict subset of `cidr` 10.0.0.0\/16/,
    );
    assertRejects(except("10.0.0.0/8"), "spec.ingress[0].from[0].ipBlock.except[0]", "10.0.0.0/8");
    assertRejects(except("192.168.0.0/24"), "spec.ingress[0].from[0].ipBlock.except[0]", "192.168.0.0/24");
    assertRejects(except("fd00::/64"), "spec.ingress[0].from[0].ipBlock.except[0]", "fd00::/64");
    assertRejects(except("nonsense"), "spec.ingress[0].from[0].ipBlock.except[0]", "nonsense", /valid CIDR/);
    assertRejects(
      networkPolicy({ egress: [{ to: [{ namespaceSelector: { matchLabels: { "a/b/c": "x" } } }] }] }),
      "spec.egress[0].to[0].namespaceSelector.matchLabels",
      "a/b/c",
    );
  });
});
