/**
 * `flatnet analyze` as a library: the reachability matrices of a cluster snapshot for each
 * port and protocol, in the shape `flatnet probe` prints (DESIGN section 4), and the diff of
 * two such results.
 */
import type { Matrix } from "../cli/matrix.js";
import { bitset, type Protocol } from "../policy/index.js";
import { ReachabilityMatrix } from "./matrix.js";
import { listensOn } from "./serving.js";
import type { ClusterSnapshot } from "./snapshot.js";

/** Pods of the snapshot that listen on port/protocol. */
export function listeningPods(snap: ClusterSnapshot, port: number, protocol: Protocol): bitset.Bitset {
  const out = bitset.emptySet(snap.pods.length);
  snap.pods.forEach((p, i) => {
    if (listensOn(p.pod, port, protocol)) bitset.add(out, i);
  });
  return out;
}

export function reachability(snap: ClusterSnapshot, port: number, protocol: Protocol): ReachabilityMatrix {
  return new ReachabilityMatrix(snap.model, port, protocol, listeningPods(snap, port, protocol));
}

/** The record form: allowed["ns/from"]["ns/to"], every ordered pair present. */
export function toMatrix(snap: ClusterSnapshot, m: ReachabilityMatrix): Matrix {
  const keys = snap.pods.map((p) => p.key);
  const allowed: Record<string, Record<string, boolean>> = {};
  keys.forEach((from, s) => {
    const row: Record<string, boolean> = {};
    keys.forEach((to, d) => {
      row[to] = m.allowed(s, d);
    });
    allowed[from] = row;
  });
  return { port: m.port, protocol: m.protocol as Matrix["protocol"], allowed };
}

export function analyze(
  snap: ClusterSnapshot,
  ports: readonly number[],
  protocols: readonly Protocol[],
): Matrix[] {
  const out: Matrix[] = [];
  for (const port of ports)
    for (const protocol of protocols) out.push(toMatrix(snap, reachability(snap, port, protocol)));
  return out;
}

export interface PairChange {
  from: string;
  to: string;
}

export interface MatrixDiff {
  port: number;
  protocol: Matrix["protocol"];
  /** Pairs blocked before and reachable after. */
  opened: PairChange[];
  /** Pairs reachable before and blocked after. */
  closed: PairChange[];
}

export interface AnalysisDiff {
  diffs: MatrixDiff[];
  /** Pods only in the new manifests / only in the old ones. */
  addedPods: string[];
  removedPods: string[];
}

/** Which pairs a change opens or closes, among pods present before and after. */
export function diffMatrices(before: readonly Matrix[], after: readonly Matrix[]): AnalysisDiff {
  const podsOf = (ms: readonly Matrix[]) => new Set(ms[0] ? Object.keys(ms[0].allowed) : []);
  const oldPods = podsOf(before);
  const newPods = podsOf(after);
  const common = [...newPods].filter((p) => oldPods.has(p));
  const diffs = after.map((a): MatrixDiff => {
    const b = before.find((m) => m.port === a.port && m.protocol === a.protocol);
    const d: MatrixDiff = { port: a.port, protocol: a.protocol, opened: [], closed: [] };
    if (!b) return d;
    for (const from of common) {
      for (const to of common) {
        const was = b.allowed[from]![to]!;
        const is = a.allowed[from]![to]!;
        if (was !== is) (is ? d.opened : d.closed).push({ from, to });
      }
    }
    return d;
  });
  return {
    diffs,
    addedPods: [...newPods].filter((p) => !oldPods.has(p)),
    removedPods: [...oldPods].filter((p) => !newPods.has(p)),
  };
}
