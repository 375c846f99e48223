// NodePort allocation: requested ports, conflicts naming the owner, KEP-3668 band split.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RangeFullError } from "./errors.js";
import { NodePortAllocator, parsePortRange } from "./node-ports.js";
import { seededRandom } from "./random.js";

describe("parsePortRange", () => {
  it("parses A-B and rejects the rest with the text", () => {
    assert.deepEqual(parsePortRange("30000-32767"), { min: 30000, max: 32767 });
    assert.throws(() => parsePortRange("30000"), /invalid port range "30000": expected FIRST-LAST/);
    assert.throws(() => parsePortRange("0-10"), /ports are 1-65535/);
    assert.throws(() => parsePortRange("30000-70000"), /ports are 1-65535/);
    assert.throws(() => parsePortRange("32767-30000"), /32767 is greater than 30000/);
  });
});

describe("NodePortAllocator", () => {
  it("uses the default range and its static band", () => {
    const a = new NodePortAllocator();
    assert.equal(a.size, 2768);
    assert.deepEqual(a.staticBand, { min: 30000, max: 30085 }, "2768/32 = 86 ports");
    assert.equal(new NodePortAllocator("30000-30009").staticBand, undefined, "ranges under 16 have no band");
    assert.deepEqual(new NodePortAllocator("1-65535").staticBand, { min: 1, max: 128 }, "capped at 128");
  });

  it("honours requested ports and names the owner on conflicts", () => {
    const a = new NodePortAllocator("30000-32767");
    assert.equal(a.reserve(30080, "web/front"), 30080);
    assert.equal(a.reserve(30080, "web/front"), 30080, "same owner: TCP and UDP share a nodePort");
    assert.throws(
      () => a.reserve(30080, "shop/api"),
      /cannot allocate nodePort 30080 to shop\/api: it is already allocated to web\/front/,
    );
    assert.throws(
      () => a.reserve(8080, "shop/api"),
      /nodePort 8080 .* outside the NodePort range 30000-32767/,
    );
    assert.throws(() => a.reserve(30000.5, "shop/api"), /outside/);
    assert.equal(a.ownerOf(30080), "web/front");
    assert.equal(a.release(30080), true);
    assert.equal(a.release(30080), false);
    assert.equal(a.reserve(30080, "shop/api"), 30080);
  });

  it("allocates from the upper band first, then the lower band, then fails clearly", () => {
    const a = new NodePortAllocator("30000-30099", { random: seededRandom(7) });
    assert.deepEqual(a.staticBand, { min: 30000, max: 30015 });
    a.reserve(30003, "x/static");
    const seen = new Set<number>();
    for (let i = 0; i < 84; i++) {
      const p = a.allocate(`x/svc${i}`);
      assert.ok(p >= 30016 && p <= 30099, `dynamic port ${p} is in the upper band`);
      seen.add(p);
    }
    assert.equal(seen.size, 84);
    for (let i = 0; i < 15; i++) {
      const p = a.allocate(`y/svc${i}`);
      assert.ok(p >= 30000 && p <= 30015 && p !== 30003, `fallback port ${p} is in the lower band`);
      seen.add(p);
    }
    assert.equal(seen.size, 99);
    assert.throws(
      () => a.allocate("z/late"),
      (e: unknown) =>
        e instanceof RangeFullError &&
        e.message === "no free nodePort in 30000-30099 for z/late: all 100 ports are allocated",
    );
    a.release(30050);
    assert.equal(a.allocate("z/late"), 30050);
  });

  it("is deterministic for a seed and random across seeds", () => {
    const run = (seed: number) => {
      const a = new NodePortAllocator(undefined, { random: seededRandom(seed) });
      return Array.from({ length: 5 }, (_, i) => a.allocate(`ns/s${i}`));
    };
    assert.deepEqual(run(1), run(1));
    assert.notDeepEqual(run(1), run(2));
  });

  it("round-trips through JSON and lists an owner's ports", () => {
    const a = new NodePortAllocator("30000-32767", { random: seededRandom(3) });
    a.reserve(30007, "a/b");
    const p = a.allocate("a/b");
    a.allocate("c/d");
    const b = NodePortAllocator.fromJSON(JSON.parse(JSON.stringify(a)));
    assert.deepEqual(b.toJSON(), a.toJSON());
    assert.deepEqual(
      b.portsOf("a/b"),
      [30007, p].sort((x, y) => x - y),
    );
    assert.throws(
      () => NodePortAllocator.fromJSON({ range: "30000-32767", allocations: { x: "a/b" } }),
      /"x"/,
    );
  });
});
