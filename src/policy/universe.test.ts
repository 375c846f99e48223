/** PodUniverse: ordering, selector memoisation, ipBlock lookup, named ports, namespaces. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCidr } from "../ipam/cidr.js";
import { indices } from "./bitset.js";
import { namedPortsOf, policyPod } from "./from-objects.js";
import { e2eTopology } from "./test-topology.js";
import { NAMESPACE_NAME_LABEL, PodUniverse, selectorKey } from "./universe.js";

const universe = () => {
  const t = e2eTopology();
  return new PodUniverse([...t.pods].reverse(), t.namespaces);
};

test("pods are numbered by namespace then name, whatever the input order", () => {
  const u = universe();
  assert.deepEqual(
    u.pods.map((_, i) => u.keyOf(i)),
    ["x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c"],
  );
  assert.equal(u.indexOf("y", "b"), 4);
  assert.equal(u.indexOf("y", "nope"), undefined);
  assert.deepEqual(indices(u.namespacePods("z")), [6, 7, 8]);
  assert.deepEqual(indices(u.namespacePods("missing")), []);
});

test("selectPods evaluates selectors and memoises equal ones", () => {
  const u = universe();
  const one = u.selectPods({ matchLabels: { ns: "y" } }, { matchLabels: { pod: "b" } }, "x");
  const same = u.selectPods(
    { matchLabels: { ns: "y" } },
    { matchExpressions: [], matchLabels: { pod: "b" } },
    "z",
  );
  assert.deepEqual(indices(one), [4]);
  assert.equal(one, same, "one evaluation for equal selectors, whatever the policy namespace");
  assert.deepEqual(indices(u.selectPods(undefined, { matchLabels: { pod: "b" } }, "z")), [7]);
  assert.deepEqual(indices(u.selectPods({}, undefined, "x")), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(
    indices(
      u.selectPods(
        { matchExpressions: [{ key: "ns", operator: "In", values: ["x", "z"] }] },
        { matchExpressions: [{ key: "pod", operator: "NotIn", values: ["a"] }] },
        "y",
      ),
    ),
    [1, 2, 7, 8],
  );
  assert.equal(
    selectorKey({ matchLabels: { b: "1", a: "2" } }),
    selectorKey({ matchLabels: { a: "2", b: "1" } }),
  );
});

test("namespaces carry kubernetes.io/metadata.name; undeclared ones exist with just it", () => {
  const u = new PodUniverse(
    [{ namespace: "default", name: "p", labels: {}, ips: [], namedPorts: [] }],
    [{ name: "x", labels: { ns: "x" } }],
  );
  assert.deepEqual(u.namespaces.get("x"), { ns: "x", [NAMESPACE_NAME_LABEL]: "x" });
  assert.deepEqual(u.namespaces.get("default"), { [NAMESPACE_NAME_LABEL]: "default" });
  assert.deepEqual(u.matchingNamespaces({ matchLabels: { [NAMESPACE_NAME_LABEL]: "default" } }), ["default"]);
});

test("podsInCidr finds pods by IP range minus excepts, by family; pods without IPs never", () => {
  const t = e2eTopology();
  t.pods.push({ namespace: "z", name: "pending", labels: {}, ips: [], namedPorts: [] });
  t.pods.push({ namespace: "z", name: "v6", labels: {}, ips: ["fd00:10:244::5"], namedPorts: [] });
  const u = new PodUniverse(t.pods, t.namespaces);
  assert.deepEqual(indices(u.podsInCidr(parseCidr("10.244.2.0/24"), [])), [3, 4, 5]);
  assert.deepEqual(
    indices(u.podsInCidr(parseCidr("10.244.0.0/16"), [parseCidr("10.244.2.0/23")])),
    [0, 1, 2],
  );
  assert.deepEqual(indices(u.podsInCidr(parseCidr("0.0.0.0/0"), [])).length, 9);
  assert.deepEqual(indices(u.podsInCidr(parseCidr("::/0"), [])), [u.indexOf("z", "v6")]);
  assert.equal(u.podByIp("10.244.3.12"), u.indexOf("z", "c"));
  assert.equal(u.podByIp("fd00:10:244:0::5"), u.indexOf("z", "v6"));
  assert.equal(u.podByIp("10.9.9.9"), undefined);
});

test("named ports index and resolution", () => {
  const u = universe();
  assert.equal(u.resolveNamedPort(0, "serve-81-udp", "UDP"), 81);
  assert.equal(u.resolveNamedPort(0, "serve-81-udp", "TCP"), undefined);
  assert.deepEqual(indices(u.namedPortPods("serve-80-tcp", "TCP", 80)).length, 9);
  assert.deepEqual(indices(u.namedPortPods("serve-80-tcp", "TCP", 81)), []);
});

test("duplicate pods are refused", () => {
  const p = { namespace: "x", name: "a", labels: {}, ips: [], namedPorts: [] };
  assert.throws(() => new PodUniverse([p, p]), /listed twice/);
});

test("policyPod reads labels, IPs, node and named ports from a Pod", () => {
  const pod = {
    metadata: { name: "web", namespace: "shop", labels: { app: "web" } },
    spec: {
      nodeName: "node-2",
      containers: [
        { name: "c", ports: [{ name: "http", containerPort: 8080 }, { containerPort: 9000 }] },
        { name: "d", ports: [{ name: "dns", containerPort: 53, protocol: "UDP" }] },
      ],
    },
    status: { podIP: "10.244.1.4", podIPs: [{ ip: "10.244.1.4" }] },
  };
  assert.deepEqual(policyPod(pod), {
    namespace: "shop",
    name: "web",
    labels: { app: "web" },
    ips: ["10.244.1.4"],
    namedPorts: [
      { name: "http", port: 8080, protocol: "TCP" },
      { name: "dns", port: 53, protocol: "UDP" },
    ],
    node: "node-2",
  });
  assert.deepEqual(namedPortsOf({ spec: { containers: [] } }), []);
  assert.deepEqual(policyPod(pod, []).ips, []);
});
