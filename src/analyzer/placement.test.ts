/**
 * Offline placement as a fresh lab would do it: node podCIDRs and IPs in node order, the
 * lab's scheduler for unbound pods in key order, host-local addresses from .2, status.podIP
 * kept and never handed out twice, pods that cannot run reported with the reason.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Pod, parseManifestText, resolveClusterConfig } from "../api/index.js";
import { placeNodes, placePods } from "./placement.js";

function pod(ns: string, name: string, extra: { nodeName?: string; podIP?: string } = {}): Pod {
  const p: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: "c", image: "x" }] },
  };
  if (extra.nodeName) p.spec.nodeName = extra.nodeName;
  if (extra.podIP) p.status = { podIP: extra.podIP };
  return p;
}

const twoNodes = () => resolveClusterConfig([]);

test("nodes get podCIDRs and underlay addresses in order", () => {
  const three = resolveClusterConfig(
    parseManifestText(
      "apiVersion: flatnet.dev/v1alpha1\nkind: Cluster\nnodes: [{}, {name: big}, {}]\n",
      "c.yaml",
    ),
  );
  assert.deepEqual(
    placeNodes(three).map((n) => [n.name, n.nodeIP, n.podCIDR]),
    [
      ["node-1", "172.18.0.2", "10.244.0.0/24"],
      ["big", "172.18.0.3", "10.244.1.0/24"],
      ["node-3", "172.18.0.4", "10.244.2.0/24"],
    ],
  );
});

test("unbound pods spread by the scheduler in key order; IPs from .2 per node", () => {
  const placed = placePods(twoNodes(), [pod("y", "b"), pod("x", "b"), pod("x", "a"), pod("y", "a")]);
  assert.deepEqual(
    placed.pods.map((p) => [p.key, p.node, p.ips[0]]),
    [
      ["x/a", "node-1", "10.244.0.2"],
      ["x/b", "node-2", "10.244.1.2"],
      ["y/a", "node-1", "10.244.0.3"],
      ["y/b", "node-2", "10.244.1.3"],
    ],
  );
});

test("spec.nodeName is honoured and counts for spreading", () => {
  const placed = placePods(twoNodes(), [
    pod("x", "a", { nodeName: "node-1" }),
    pod("x", "b", { nodeName: "node-1" }),
    pod("x", "c"),
    pod("x", "d"),
  ]);
  assert.deepEqual(
    placed.pods.map((p) => [p.key, p.node, p.ips[0]]),
    [
      ["x/a", "node-1", "10.244.0.2"],
      ["x/b", "node-1", "10.244.0.3"],
      ["x/c", "node-2", "10.244.1.2"],
      ["x/d", "node-2", "10.244.1.3"],
    ],
  );
});

test("status.podIP is kept, places the pod on its node, and is not handed out again", () => {
  const placed = placePods(twoNodes(), [
    pod("x", "a"),
    pod("x", "b", { podIP: "10.244.0.2" }),
    pod("x", "c", { podIP: "192.168.9.9" }),
  ]);
  assert.deepEqual(
    placed.pods.map((p) => [p.key, p.node, p.ips]),
    [
      ["x/a", "node-2", ["10.244.1.2"]],
      ["x/b", "node-1", ["10.244.0.2"]],
      ["x/c", undefined, ["192.168.9.9"]],
    ],
  );
  const same = placePods(twoNodes(), [
    pod("x", "a", { nodeName: "node-1" }),
    pod("x", "b", { podIP: "10.244.0.2" }),
  ]);
  assert.deepEqual(same.pods[0]!.ips, ["10.244.0.3"]);
});

test("pods that cannot run are pending with the reason", () => {
  const tiny = resolveClusterConfig(
    parseManifestText(
      "apiVersion: flatnet.dev/v1alpha1\nkind: Cluster\nnodes: [{}]\nnetworking: { nodeCIDRMaskSize: 30 }\n",
      "c.yaml",
    ),
  );
  // A /30 holds one pod address (.2): .0 network, .1 gateway, .3 broadcast.
  const placed = placePods(tiny, [pod("x", "a"), pod("x", "b"), pod("x", "c", { nodeName: "gone" })]);
  assert.deepEqual(placed.pods[0]!.ips, ["10.244.0.2"]);
  assert.match(placed.pods[1]!.pending!, /no free pod address/);
  assert.deepEqual(placed.pods[1]!.ips, []);
  assert.match(placed.pods[2]!.pending!, /node "gone" \(spec.nodeName\) does not exist/);
});
