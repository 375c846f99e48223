/**
 * Sets of pods as bitsets over pod indices (a Uint32Array of ceil(n/32) words).
 *
 * The policy model answers "which pods" questions (who a policy selects, who a rule's peers
 * are, which pods have a named port) with these, so a whole reachability matrix is a few
 * word-wide ORs and ANDs per pod instead of a selector evaluation per pair: at 10,000 pods a
 * set is 313 words. Functions are plain (no class) so hot loops stay monomorphic; `*Into`
 * functions write into their first argument and return it.
 */

export type Bitset = Uint32Array;

export function wordsFor(n: number): number {
  return (n + 31) >>> 5;
}

export function emptySet(n: number): Bitset {
  return new Uint32Array(wordsFor(n));
}

/** Every index in [0, n). Bits past n stay clear so counts and equality are exact. */
export function fullSet(n: number): Bitset {
  return rangeSet(n, 0, n);
}

/** The indices in [start, end). */
export function rangeSet(n: number, start: number, end: number): Bitset {
  const s = emptySet(n);
  for (let i = start; i < end; ) {
    if ((i & 31) === 0 && i + 32 <= end) {
      s[i >>> 5] = 0xffffffff;
      i += 32;
    } else {
      s[i >>> 5]! |= 1 << (i & 31);
      i++;
    }
  }
  return s;
}

export function fromIndices(n: number, indices: Iterable<number>): Bitset {
  const s = emptySet(n);
  for (const i of indices) s[i >>> 5]! |= 1 << (i & 31);
  return s;
}

export function has(s: Bitset, i: number): boolean {
  return (s[i >>> 5]! & (1 << (i & 31))) !== 0;
}

export function add(s: Bitset, i: number): void {
  s[i >>> 5]! |= 1 << (i & 31);
}

export function remove(s: Bitset, i: number): void {
  s[i >>> 5]! &= ~(1 << (i & 31));
}

export function setBit(s: Bitset, i: number, on: boolean): void {
  if (on) add(s, i);
  else remove(s, i);
}

export function orInto(dst: Bitset, src: Bitset): Bitset {
  for (let w = 0; w < dst.length; w++) dst[w]! |= src[w]!;
  return dst;
}

export function andInto(dst: Bitset, src: Bitset): Bitset {
  for (let w = 0; w < dst.length; w++) dst[w]! &= src[w]!;
  return dst;
}

export function andNotInto(dst: Bitset, src: Bitset): Bitset {
  for (let w = 0; w < dst.length; w++) dst[w]! &= ~src[w]!;
  return dst;
}

export function copy(s: Bitset): Bitset {
  return s.slice();
}

export function isEmpty(s: Bitset): boolean {
  for (let w = 0; w < s.length; w++) if (s[w] !== 0) return false;
  return true;
}

export function equals(a: Bitset, b: Bitset): boolean {
  if (a.length !== b.length) return false;
  for (let w = 0; w < a.length; w++) if (a[w] !== b[w]) return false;
  return true;
}

function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export function count(s: Bitset): number {
  let c = 0;
  for (let w = 0; w < s.length; w++) c += popcount32(s[w]!);
  return c;
}

/** The set indices in ascending order. */
export function indices(s: Bitset): number[] {
  const out: number[] = [];
  for (let w = 0; w < s.length; w++) {
    let word = s[w]!;
    while (word !== 0) {
      const low = word & -word;
      out.push((w << 5) + 31 - Math.clz32(low));
      word ^= low;
    }
  }
  return out;
}

/**
 * Transpose an n x n bit matrix stored as rows (rows[i] bit j = M[i][j]) into columns
 * (out[j] bit i = M[i][j]), 32 x 32 blocks at a time (the classic recursive block swap), so
 * the cost is about n^2/32 word operations rather than one per bit.
 */
export function transpose(rows: readonly Bitset[], n: number): Bitset[] {
  const words = wordsFor(n);
  const out: Bitset[] = Array.from({ length: n }, () => new Uint32Array(words));
  const block = new Uint32Array(32);
  for (let bi = 0; bi < words; bi++) {
    for (let bj = 0; bj < words; bj++) {
      // block[r] = 32 bits of row (bi*32 + r), columns bj*32 .. bj*32+31
      let any = 0;
      for (let r = 0; r < 32; r++) {
        const row = rows[(bi << 5) + r];
        const v = row ? row[bj]! : 0;
        block[r] = v;
        any |= v;
      }
      if (any === 0) continue;
      transpose32(block);
      for (let c = 0; c < 32; c++) {
        const col = out[(bj << 5) + c];
        if (col) col[bi] = block[c]!;
      }
    }
  }
  return out;
}

/**
 * In-place transpose of a 32 x 32 bit block where block[r] bit c is element (r, c) (bit 0 is
 * column 0): afterwards block[c] bit r is that element.
 */
export function transpose32(a: Uint32Array): void {
  let j = 16;
  let m = 0x0000ffff;
  while (j !== 0) {
    for (let k = 0; k < 32; k = (k + j + 1) & ~j) {
      const t = ((a[k]! >>> j) ^ a[k + j]!) & m;
      a[k] = a[k]! ^ (t << j);
      a[k + j] = a[k + j]! ^ t;
    }
    j >>>= 1;
    m = (m ^ (m << j)) >>> 0;
  }
}
