/**
 * Random sources for allocators. Kubernetes picks ClusterIPs and NodePorts at random so that
 * concurrent API servers rarely collide; flatnet does the same but takes the source as a
 * parameter, so tests and reproducible labs can pass a seeded one.
 */

/** Like Math.random: a float in [0, 1). */
export type RandomSource = () => number;

/** A small, fast, deterministic generator (mulberry32) for tests and reproducible runs. */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Draw 32 bits at a time: a RandomSource is only assumed to have 32 bits of resolution
// (mulberry32 has exactly that), so scaling one draw to a wider range would leave low bits
// that never vary.
const CHUNK_BITS = 32n;
const CHUNK = 1n << CHUNK_BITS;

/** A uniform-enough integer in [0, n) for any bigint n > 0 (IPv6 ranges exceed 2^53). */
export function randomBelow(n: bigint, random: RandomSource): bigint {
  if (n <= 0n) throw new RangeError(`randomBelow needs a positive bound, got ${n}`);
  if (n <= CHUNK) return BigInt(Math.floor(random() * Number(n)));
  // 32 spare bits keep the modulo bias below 2^-32.
  let value = 0n;
  let span = 1n;
  while (span < n << CHUNK_BITS) {
    value = (value << CHUNK_BITS) | BigInt(Math.floor(random() * Number(CHUNK)));
    span <<= CHUNK_BITS;
  }
  return value % n;
}
