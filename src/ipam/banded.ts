/**
 * The allocation strategy Kubernetes uses for ClusterIPs (KEP-3070) and NodePorts (KEP-3668),
 * over abstract indices 0..size-1 so both share it. The range is split in two bands: the
 * lower "static" band is meant for values users request explicitly, the upper band is where
 * dynamic allocation looks first (random start, then scan forward with wraparound), falling
 * back to the lower band only when the upper one is full. This way a user who hard-codes a
 * low ClusterIP or NodePort rarely finds it already taken by a dynamic allocation.
 *
 * Pure and synchronous; owners are opaque strings ("namespace/name").
 */
import { type RandomSource, randomBelow } from "./random.js";

/**
 * Size of the static (lower) band: size/step clamped to [min, max], and no band at all when
 * the range is smaller than min, as in the Kubernetes allocators.
 */
export function staticBandSize(rangeSize: bigint, band: { min: bigint; max: bigint; step: bigint }): bigint {
  if (rangeSize < band.min) return 0n;
  const offset = rangeSize / band.step;
  if (offset < band.min) return band.min;
  if (offset > band.max) return band.max;
  return offset;
}

export class BandedAllocator {
  private readonly owners = new Map<bigint, string>();
  private lowerUsed = 0n;
  /** Indices below this are the static band. */
  readonly staticBand: bigint;

  constructor(
    readonly size: bigint,
    staticBand: bigint,
    private readonly random: RandomSource,
  ) {
    this.staticBand = staticBand < size ? staticBand : size;
  }

  get used(): number {
    return this.owners.size;
  }

  ownerOf(index: bigint): string | undefined {
    return this.owners.get(index);
  }

  /** Record index as owned; the caller has checked the range and that it is free. */
  take(index: bigint, owner: string): void {
    if (index < 0n || index >= this.size) throw new RangeError(`index ${index} outside 0..${this.size - 1n}`);
    if (this.owners.has(index))
      throw new Error(`index ${index} is already taken by ${this.owners.get(index)}`);
    this.owners.set(index, owner);
    if (index < this.staticBand) this.lowerUsed++;
  }

  /** Forget index; false when it was not taken. */
  free(index: bigint): boolean {
    if (!this.owners.delete(index)) return false;
    if (index < this.staticBand) this.lowerUsed--;
    return true;
  }

  /** A free index, upper band first; undefined when everything is taken. */
  pickFree(): bigint | undefined {
    const upperSize = this.size - this.staticBand;
    const upperUsed = BigInt(this.owners.size) - this.lowerUsed;
    if (upperUsed < upperSize) return this.scan(this.staticBand, this.size);
    if (this.lowerUsed < this.staticBand) return this.scan(0n, this.staticBand);
    return undefined;
  }

  entries(): Array<[bigint, string]> {
    return [...this.owners.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** First free index in [lo, hi) at or after a random start, wrapping around; the band has one. */
  private scan(lo: bigint, hi: bigint): bigint {
    const width = hi - lo;
    const start = randomBelow(width, this.random);
    for (let k = 0n; k < width; k++) {
      const i = lo + ((start + k) % width);
      if (!this.owners.has(i)) return i;
    }
    throw new Error(`band ${lo}..${hi - 1n} has no free index although its count says it does`);
  }
}
