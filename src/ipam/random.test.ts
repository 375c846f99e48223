// Random sources: seeded runs repeat, and bounds hold beyond 2^53 (IPv6 ranges).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomBelow, seededRandom } from "./random.js";

describe("random", () => {
  it("a seed gives the same sequence, in [0, 1)", () => {
    const a = seededRandom(123);
    const b = seededRandom(123);
    const xs = Array.from({ length: 1000 }, () => a());
    assert.deepEqual(
      xs,
      Array.from({ length: 1000 }, () => b()),
    );
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assert.ok(new Set(xs).size > 990);
  });

  it("randomBelow stays in bounds for small and 128-bit ranges and covers them", () => {
    const r = seededRandom(5);
    const small = new Set(Array.from({ length: 500 }, () => randomBelow(7n, r)));
    assert.deepEqual([...small].sort(), [0n, 1n, 2n, 3n, 4n, 5n, 6n]);
    const n = (1n << 64n) - 3n;
    const big = Array.from({ length: 200 }, () => randomBelow(n, r));
    assert.ok(big.every((x) => x >= 0n && x < n));
    assert.ok(
      big.some((x) => x > 1n << 63n),
      "the upper half is reached",
    );
    assert.throws(() => randomBelow(0n, r), /positive bound/);
  });
});
