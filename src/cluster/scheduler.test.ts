import assert from "node:assert/strict";
import { test } from "node:test";
import { schedulePod } from "./scheduler.js";

const nodes = [
  { name: "node-1", free: 10, pods: 3, ready: true },
  { name: "node-2", free: 10, pods: 1, ready: true },
  { name: "node-3", free: 0, pods: 0, ready: true },
];

test("spreads to the node with the fewest pods that still has room", () => {
  assert.deepEqual(schedulePod(undefined, nodes), { node: "node-2" });
});

test("honours spec.nodeName", () => {
  assert.deepEqual(schedulePod("node-1", nodes), { node: "node-1" });
});

test("a pod that does not fit stays pending with the reason", () => {
  assert.match((schedulePod("node-3", nodes) as { pending: string }).pending, /no free pod address/);
  assert.match((schedulePod("node-9", nodes) as { pending: string }).pending, /does not exist/);
  const full = nodes.map((n) => ({ ...n, free: 0 }));
  assert.match((schedulePod(undefined, full) as { pending: string }).pending, /0\/3 nodes are available/);
});
