/** Bitsets: ranges at word edges, set algebra, counting, and the block transpose. */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  andInto,
  andNotInto,
  count,
  emptySet,
  equals,
  fromIndices,
  fullSet,
  has,
  indices,
  isEmpty,
  orInto,
  rangeSet,
  transpose,
} from "./bitset.js";

test("rangeSet and fullSet set exactly their indices, across word boundaries", () => {
  for (const [n, s, e] of [
    [100, 0, 100],
    [100, 31, 33],
    [64, 0, 64],
    [70, 32, 64],
    [70, 5, 5],
  ] as const) {
    const set = rangeSet(n, s, e);
    assert.deepEqual(
      indices(set),
      Array.from({ length: e - s }, (_, i) => s + i),
    );
  }
  assert.equal(count(fullSet(77)), 77);
  assert.equal(fullSet(77)[2], (1 << 13) - 1, "no bits past n");
});

test("algebra", () => {
  const a = fromIndices(40, [1, 5, 33, 39]);
  const b = fromIndices(40, [5, 6, 39]);
  assert.deepEqual(indices(orInto(a.slice(), b)), [1, 5, 6, 33, 39]);
  assert.deepEqual(indices(andInto(a.slice(), b)), [5, 39]);
  assert.deepEqual(indices(andNotInto(a.slice(), b)), [1, 33]);
  assert.equal(has(a, 33), true);
  assert.equal(has(a, 32), false);
  assert.equal(isEmpty(emptySet(40)), true);
  assert.equal(equals(a, fromIndices(40, [39, 33, 5, 1])), true);
});

test("transpose equals the bit-by-bit transpose for random matrices of awkward sizes", () => {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (const n of [1, 31, 32, 33, 70, 100]) {
    const rows = Array.from({ length: n }, () => emptySet(n));
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) if (rand() < 0.3) rows[i]![j >>> 5]! |= 1 << (j & 31);
    const cols = transpose(rows, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) assert.equal(has(cols[j]!, i), has(rows[i]!, j), `n=${n} (${i},${j})`);
  }
});
