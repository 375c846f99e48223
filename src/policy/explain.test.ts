/**
 * Verdicts with their reasons (what `trace` prints): the policy, rule, peer and port that
 * allowed a connection; the policies that isolate a pod when none does; addresses that are no
 * pod (ipBlock only, never selectors or named ports); the node-local exception; loopback.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { describeRuleRef, describeVerdict } from "./describe.js";
import { connectionVerdict, directionVerdict } from "./evaluate.js";
import { modelOf, policy } from "./test-topology.js";

const twoPolicies = () =>
  modelOf([
    policy("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress"] }),
    policy("x", "allow-yb", {
      podSelector: { matchLabels: { pod: "a" } },
      ingress: [
        { from: [{ podSelector: { matchLabels: { pod: "c" } } }] },
        {
          from: [
            { namespaceSelector: { matchLabels: { ns: "z" } } },
            { namespaceSelector: { matchLabels: { ns: "y" } }, podSelector: { matchLabels: { pod: "b" } } },
          ],
          ports: [{ port: 81 }, { port: "serve-80-tcp" }],
        },
      ],
    }),
  ]);

describe("explain", () => {
  test("names the policy, rule, peer and port that allowed", () => {
    const m = twoPolicies();
    const u = m.universe;
    const xa = u.indexOf("x", "a")!;
    const yb = u.indexOf("y", "b")!;
    const v = directionVerdict(m, "ingress", xa, { pod: yb }, 80, "TCP");
    assert.equal(v.allowed, true);
    assert.deepEqual(v.isolatedBy, ["x/allow-yb", "x/deny-all"]);
    assert.deepEqual(v.allowedBy, [
      { policy: "x/allow-yb", direction: "ingress", rule: 1, peer: 1, port: 1 },
    ]);
    assert.equal(describeRuleRef(v.allowedBy[0]!), "x/allow-yb spec.ingress[1] from[1] ports[1]");
    assert.equal(describeVerdict(v, "x/a"), "allowed by x/allow-yb spec.ingress[1] from[1] ports[1]");
  });

  test("a rule without peers or ports is cited as every source / every port", () => {
    const m = modelOf([policy("x", "open", { podSelector: {}, ingress: [{}] })]);
    const v = directionVerdict(m, "ingress", 0, { pod: 5 }, 80, "TCP");
    assert.deepEqual(v.allowedBy, [{ policy: "x/open", direction: "ingress", rule: 0 }]);
    assert.equal(describeRuleRef(v.allowedBy[0]!), "x/open spec.ingress[0] (every source) (every port)");
  });

  test("lists every policy isolating the pod when none allows", () => {
    const m = twoPolicies();
    const u = m.universe;
    const v = directionVerdict(m, "ingress", u.indexOf("x", "a")!, { pod: u.indexOf("y", "a")! }, 80, "TCP");
    assert.equal(v.allowed, false);
    assert.deepEqual(v.allowedBy, []);
    assert.match(describeVerdict(v, "x/a"), /isolated for ingress by policies x\/allow-yb, x\/deny-all/);
  });

  test("not isolated: allowed with no rule cited", () => {
    const m = twoPolicies();
    const v = directionVerdict(m, "egress", 0, { pod: 4 }, 80, "TCP");
    assert.deepEqual(v, {
      direction: "egress",
      isolated: false,
      isolatedBy: [],
      allowed: true,
      allowedBy: [],
    });
    assert.equal(describeVerdict(v, "x/a"), "allowed: no NetworkPolicy selects x/a for egress");
  });

  test("connection verdict combines egress and ingress; loopback skips policy", () => {
    const m = modelOf([
      policy("x", "no-egress", { podSelector: { matchLabels: { pod: "a" } }, policyTypes: ["Egress"] }),
      policy("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress"] }),
    ]);
    const c = connectionVerdict(m, { pod: 0 }, { pod: 1 }, 80, "TCP");
    assert.equal(c.allowed, false);
    assert.equal(c.egress?.allowed, false);
    assert.equal(c.ingress?.allowed, false);
    assert.deepEqual(connectionVerdict(m, { pod: 0 }, { pod: 0 }, 80, "TCP"), {
      allowed: true,
      loopback: true,
    });
    // A pod's own IP given as an address is the pod itself.
    assert.equal(connectionVerdict(m, { pod: 0 }, { ip: "10.244.1.10" }, 80, "TCP").loopback, true);
  });

  test("addresses outside the cluster: ipBlock matches, selectors and named ports never do", () => {
    const m = modelOf([
      policy("x", "p", {
        podSelector: {},
        ingress: [
          { from: [{ namespaceSelector: {} }] },
          {
            from: [{ ipBlock: { cidr: "192.168.0.0/16", except: ["192.168.1.0/24"] } }],
            ports: [{ port: 80 }],
          },
        ],
        egress: [
          { to: [{ ipBlock: { cidr: "0.0.0.0/0" } }], ports: [{ port: "serve-80-tcp" }, { port: 443 }] },
        ],
      }),
    ]);
    const ext = (ip: string) => connectionVerdict(m, { ip }, { pod: 0 }, 80, "TCP");
    assert.equal(ext("192.168.2.9").allowed, true);
    assert.deepEqual(ext("192.168.2.9").ingress?.allowedBy, [
      { policy: "x/p", direction: "ingress", rule: 1, peer: 0, port: 0 },
    ]);
    assert.equal(ext("192.168.1.9").allowed, false, "except");
    assert.equal(ext("10.0.0.1").allowed, false, "namespaceSelector {} is pods only");
    assert.equal(ext("192.168.2.9").egress, undefined, "no egress verdict for a non-pod source");
    assert.equal(connectionVerdict(m, { pod: 0 }, { ip: "8.8.8.8" }, 443, "TCP").allowed, true);
    assert.equal(connectionVerdict(m, { pod: 0 }, { ip: "8.8.8.8" }, 80, "TCP").allowed, false, "named port");
    assert.equal(
      connectionVerdict(m, { pod: 0 }, { pod: 3 }, 80, "TCP").egress?.allowed,
      true,
      "named port on a pod",
    );
  });

  test("ingress from the pod's own node is always allowed; from another node it is not", () => {
    const m = modelOf([policy("x", "deny-all", { podSelector: {}, policyTypes: ["Ingress"] })]);
    const own = directionVerdict(m, "ingress", 0, { ip: "172.18.0.2", node: "node-1" }, 80, "TCP");
    assert.equal(own.allowed, true);
    assert.equal(own.fromOwnNode, true);
    assert.match(describeVerdict(own, "x/a"), /own node/);
    const other = directionVerdict(m, "ingress", 0, { ip: "172.18.0.3", node: "node-2" }, 80, "TCP");
    assert.equal(other.allowed, false);
  });
});
