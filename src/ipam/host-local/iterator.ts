/**
 * The order in which host-local tries addresses, pure: round-robin, starting just after the
 * last address reserved in this range set and wrapping around through every range of the set
 * back to it, skipping each range's gateway. Starting after the last reserved address (not at
 * the lowest free one) keeps a just-released address out of reuse for as long as possible, so
 * a stale peer still sending to it is unlikely to reach a new pod.
 */
import type { ParsedRange, ParsedRangeSet } from "./config.js";
import { rangeContains } from "./config.js";

export interface Candidate {
  range: ParsedRange;
  value: bigint;
}

/** Every allocatable address of the set exactly once, in host-local's round-robin order. */
export function* candidates(set: ParsedRangeSet, lastReserved?: bigint): Generator<Candidate> {
  const ranges = set.ranges;
  let ri = lastReserved === undefined ? -1 : ranges.findIndex((r) => rangeContains(r, lastReserved));
  let cur: bigint;
  const advance = () => {
    const r = ranges[ri]!;
    if (cur >= r.end) {
      ri = (ri + 1) % ranges.length;
      cur = ranges[ri]!.start;
    } else cur++;
  };
  if (ri >= 0) {
    cur = lastReserved!;
    advance();
  } else {
    ri = 0;
    cur = ranges[0]!.start;
  }
  const total = ranges.reduce((n, r) => n + (r.end - r.start + 1n), 0n);
  for (let k = 0n; k < total; k++) {
    const range = ranges[ri]!;
    if (cur !== range.gateway) yield { range, value: cur };
    advance();
  }
}
