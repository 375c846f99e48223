/** analyze() over a loaded snapshot, and diffMatrices on pods that come and go. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseManifestText } from "../api/index.js";
import type { Matrix } from "../cli/matrix.js";
import { analyze, diffMatrices } from "./analyze.js";
import { snapshotFromObjects } from "./snapshot.js";

const manifests = `apiVersion: v1
kind: Pod
metadata: { name: a, namespace: default, labels: { app: a } }
spec: { containers: [{ name: c, image: x, ports: [{ containerPort: 80 }, { containerPort: 53, protocol: UDP }] }] }
---
apiVersion: v1
kind: Pod
metadata: { name: b, namespace: default, labels: { app: b } }
spec: { containers: [{ name: c, image: x, command: [sleep, inf], ports: [{ containerPort: 80 }] }] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: b-from-nobody, namespace: default }
spec: { podSelector: { matchLabels: { app: b } } }
`;

test("analyze: listeners (built-in and command containers) and policy per port/protocol", () => {
  const snap = snapshotFromObjects(parseManifestText(manifests, "m.yaml"));
  assert.deepEqual(
    snap.pods.map((p) => [p.key, p.node, p.ips]),
    [
      ["default/a", "node-1", ["10.244.0.2"]],
      ["default/b", "node-2", ["10.244.1.2"]],
    ],
  );
  const [tcp, udp] = analyze(snap, [80], ["TCP", "UDP"]);
  assert.deepEqual(tcp!.allowed, {
    "default/a": { "default/a": true, "default/b": false },
    "default/b": { "default/a": true, "default/b": true },
  });
  assert.deepEqual(udp!.allowed, {
    "default/a": { "default/a": false, "default/b": false },
    "default/b": { "default/a": false, "default/b": false },
  });
  const [dns] = analyze(snap, [53], ["UDP"]);
  assert.equal(dns!.allowed["default/b"]!["default/a"], true);
});

test("diffMatrices: opened and closed among common pods; added and removed pods listed", () => {
  const m = (allowed: Matrix["allowed"]): Matrix[] => [{ port: 80, protocol: "TCP", allowed }];
  const before = m({ "n/a": { "n/a": true, "n/b": true }, "n/b": { "n/a": false, "n/b": true } });
  const after = m({
    "n/a": { "n/a": true, "n/b": false, "n/c": true },
    "n/b": { "n/a": true, "n/b": true, "n/c": true },
    "n/c": { "n/a": true, "n/b": true, "n/c": true },
  });
  assert.deepEqual(diffMatrices(before, after), {
    diffs: [
      {
        port: 80,
        protocol: "TCP",
        opened: [{ from: "n/b", to: "n/a" }],
        closed: [{ from: "n/a", to: "n/b" }],
      },
    ],
    addedPods: ["n/c"],
    removedPods: [],
  });
});
