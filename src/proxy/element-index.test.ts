// The element index: conflicts between owners, the changes a plan makes when the winning owner
// goes, and that an index built in one pass (full sync) equals one grown by plan/commit, also
// through random updates whose deltas the fake kernel applies.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ElementIndex } from "./element-index.js";
import type { Element } from "./elements.js";
import { FakeProxyTable } from "./nft-fake.js";
import { renderDelta, renderFull } from "./render.js";

const cfg = {
  table: "flatnet-proxy",
  clusterCIDR: "10.244.0.0/16",
  serviceCIDR: "10.96.0.0/12",
  masqueradeMark: 0x4000,
};

const vip = (ip: string, n: number): Element => ({
  set: "service-ips",
  key: `${ip} . tcp . 80`,
  value: `goto cluster-ip-${n}`,
});
const slot = (ip: string, i: number, ep: string): Element => ({
  set: "cluster-endpoints-tcp",
  key: `${ip} . 80 . ${i}`,
  value: `${ep} . 8080`,
});
const hairpin = (ip: string): Element => ({ set: "hairpin", key: `${ip} . ${ip}` });

function grown(steps: Array<Map<string, Element[]>>): ElementIndex {
  const idx = new ElementIndex();
  for (const s of steps) idx.commit(idx.plan(s));
  return idx;
}

const sorted = (m: Map<string, Array<{ key: string; value?: string }>>) =>
  [...m]
    .map(([set, list]) => [set, [...list].sort((a, b) => (a.key < b.key ? -1 : 1))] as const)
    .filter(([, list]) => list.length > 0)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));

describe("ElementIndex", () => {
  it("two owners on one key: the lexically first wins and the clash is reported", () => {
    const owners = new Map([
      ["b/web", [vip("10.96.0.5", 2), slot("10.96.0.5", 0, "10.244.1.2"), hairpin("10.244.1.2")]],
      ["a/web", [vip("10.96.0.5", 1), slot("10.96.0.5", 0, "10.244.2.2"), hairpin("10.244.1.2")]],
    ]);
    const { index, conflicts } = ElementIndex.build(owners);
    assert.deepEqual(conflicts.sort(), [
      "cluster-endpoints-tcp 10.96.0.5 . 80 . 0: wanted by a/web, b/web; a/web wins",
      "service-ips 10.96.0.5 . tcp . 80: wanted by a/web, b/web; a/web wins",
    ]);
    const eff = index.effective();
    assert.deepEqual(eff.get("service-ips"), [{ key: "10.96.0.5 . tcp . 80", value: "goto cluster-ip-1" }]);
    assert.deepEqual(
      eff.get("hairpin"),
      [{ key: "10.244.1.2 . 10.244.1.2" }],
      "an identical wish is no clash",
    );
    assert.deepEqual(index.chains(), ["cluster-ip-1"]);
    const plan = index.plan(new Map([["a/web", []]]));
    assert.deepEqual(
      plan.changes.sort((x, y) => (x.set < y.set ? -1 : 1)),
      [
        {
          set: "cluster-endpoints-tcp",
          key: "10.96.0.5 . 80 . 0",
          before: "10.244.2.2 . 8080",
          after: "10.244.1.2 . 8080",
        },
        {
          set: "service-ips",
          key: "10.96.0.5 . tcp . 80",
          before: "goto cluster-ip-1",
          after: "goto cluster-ip-2",
        },
      ],
      "the loser takes over; the shared hairpin element stays untouched",
    );
    assert.deepEqual(plan.chainsAdded, ["cluster-ip-2"]);
    assert.deepEqual(plan.chainsRemoved, ["cluster-ip-1"]);
    index.commit(plan);
    assert.deepEqual(index.chains(), ["cluster-ip-2"]);
    assert.equal(index.plan(new Map([["b/web", []]])).changes.length, 3, "the last owner takes all");
  });

  it("built in one pass equals grown by plan and commit, through adds, clashes and removals", () => {
    const a1 = [vip("10.96.0.5", 2), slot("10.96.0.5", 0, "10.244.1.2"), slot("10.96.0.5", 1, "10.244.1.3")];
    const b1 = [vip("10.96.0.5", 1), slot("10.96.0.5", 0, "10.244.9.9"), hairpin("10.244.9.9")];
    const c1 = [vip("10.96.0.7", 1), slot("10.96.0.7", 0, "10.244.1.2"), hairpin("10.244.1.2")];
    const steps = [
      new Map([
        ["a", a1],
        ["c", c1],
      ]),
      new Map([["b", b1]]),
      new Map([["a", [] as Element[]]]),
      new Map([["a", a1.slice(0, 2)]]),
    ];
    const idx = grown(steps);
    const { index } = ElementIndex.build(
      new Map([
        ["a", a1.slice(0, 2)],
        ["b", b1],
        ["c", c1],
      ]),
    );
    assert.deepEqual(sorted(idx.effective()), sorted(index.effective()));
    assert.deepEqual(idx.chains(), index.chains());
    assert.deepEqual(idx.chains(), ["cluster-ip-1", "cluster-ip-2"]);
    assert.deepEqual(
      idx.plan(new Map([["c", c1]])).changes,
      [],
      "re-planning the same elements changes nothing",
    );
  });

  it("random updates: the grown index, and the kernel fed its deltas, equal a fresh build", async () => {
    // Deterministic pseudo-random owners wanting overlapping keys with varying values.
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const owners = ["a/x", "b/y", "c/z", "d/w"];
    const current = new Map<string, Element[]>();
    const idx = new ElementIndex();
    const fake = new FakeProxyTable();
    await fake.apply(renderFull(cfg, idx.effective(), idx.chains()));
    for (let step = 0; step < 300; step++) {
      const owner = owners[rnd(owners.length)]!;
      const els: Element[] = [];
      const vipOf = `10.96.0.${rnd(3)}`;
      const n = rnd(4);
      if (n > 0) els.push(vip(vipOf, n));
      for (let i = 0; i < n; i++) els.push(slot(vipOf, i, `10.244.1.${rnd(5)}`));
      if (rnd(2)) els.push(hairpin(`10.244.1.${rnd(5)}`));
      current.set(owner, els);
      const plan = idx.plan(new Map([[owner, els]]));
      await fake.apply(renderDelta(cfg, plan));
      idx.commit(plan);
      const { index } = ElementIndex.build(current);
      assert.deepEqual(sorted(idx.effective()), sorted(index.effective()), `step ${step}`);
      assert.deepEqual(idx.chains(), index.chains(), `step ${step}`);
    }
    const fresh = new FakeProxyTable();
    await fresh.apply(renderFull(cfg, idx.effective(), idx.chains()));
    assert.equal(fake.dump(), fresh.dump());
  });
});
