/**
 * Analyzer benchmark: the full reachability matrix of a large cluster, and re-evaluation
 * after one policy change.
 *
 * Cluster (seeded, src/analyzer/random-cluster.ts): N namespaces x M pods, 10 apps per
 * namespace (replicas share labels), namespaces labelled by team/env, P random policies
 * mixing every selector, peer (podSelector, namespaceSelector, both, ipBlock with except)
 * and port form (number, endPort range, named, protocol only), with ingress and egress.
 *
 * Measured, in this one process (peak RSS is the process's maxRSS):
 *  - build: pod universe (indexes) and the compiled policy model;
 *  - full matrix for TCP/80: every ordered pair (N*M)^2, as a bit matrix;
 *  - changes: C single-policy changes (replace with a new random policy, delete, add), each
 *    applied to the model and the matrix incrementally; then the matrix is checked equal,
 *    row by row, to one computed from scratch with the final policies.
 *
 *   node dist/bench/analyzer/run.js [--namespaces 100] [--pods 100] [--policies 1000] [--changes 50]
 * Writes bench/results/analyzer.json and bench/results/analyzer.md.
 */
import { performance } from "node:perf_hooks";
import { ReachabilityMatrix } from "../../src/analyzer/matrix.js";
import {
  type RandomClusterOptions,
  randomCluster,
  randomPolicy,
  rng,
} from "../../src/analyzer/random-cluster.js";
import {
  type Affected,
  bitset,
  type NetworkPolicyLike,
  PodUniverse,
  PolicyModel,
} from "../../src/policy/index.js";
import { machineInfo, writeResults } from "../common.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const mib = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1));
const peakRssMiB = () => Number((process.resourceUsage().maxRSS / 1024).toFixed(1));
const round = (ms: number) => Number(ms.toFixed(2));

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

function main(): void {
  const opts: RandomClusterOptions = {
    namespaces: arg("namespaces", 100),
    podsPerNamespace: arg("pods", 100),
    appsPerNamespace: 10,
  };
  const policyCount = arg("policies", 1000);
  const changeCount = arg("changes", 50);
  const r = rng(20241);

  let t0 = performance.now();
  const cluster = randomCluster(7, opts);
  const current = new Map<string, NetworkPolicyLike>();
  for (let i = 0; i < policyCount; i++) {
    const np = randomPolicy(r, opts, `policy-${i}`);
    current.set(`${np.metadata.namespace}/${np.metadata.name}`, np);
  }
  const generateMs = performance.now() - t0;

  t0 = performance.now();
  const universe = new PodUniverse(cluster.pods, cluster.namespaces);
  const universeMs = performance.now() - t0;
  t0 = performance.now();
  const model = new PolicyModel(universe, [...current.values()]);
  const compileMs = performance.now() - t0;
  const listening = bitset.fullSet(universe.size);
  t0 = performance.now();
  const matrix = new ReachabilityMatrix(model, 80, "TCP", listening);
  const matrixMs = performance.now() - t0;
  const pods = universe.size;
  const allowedPairs = matrix.rows.reduce((n, row) => n + bitset.count(row), 0);
  const isolatedIngress = universe.pods.filter((_, i) => model.isolated(i, "ingress")).length;
  const isolatedEgress = universe.pods.filter((_, i) => model.isolated(i, "egress")).length;
  const afterFull = { peakRssMiB: peakRssMiB(), heapUsedMiB: mib(process.memoryUsage().heapUsed) };

  // Single-policy changes, each applied incrementally.
  const changeMs: number[] = [];
  const touched: number[] = [];
  const kinds = { replace: 0, delete: 0, add: 0 };
  for (let c = 0; c < changeCount; c++) {
    const keys = [...current.keys()];
    const pick = keys[Math.floor(r() * keys.length)]!;
    const x = r();
    const start = performance.now();
    let affected: Affected;
    if (x < 0.6) {
      const old = current.get(pick)!;
      const next = randomPolicy(r, opts, old.metadata.name);
      next.metadata.namespace = old.metadata.namespace;
      current.set(pick, next);
      affected = model.setPolicy(next);
      kinds.replace++;
    } else if (x < 0.8) {
      const [ns, name] = pick.split("/") as [string, string];
      current.delete(pick);
      affected = model.deletePolicy(ns, name);
      kinds.delete++;
    } else {
      const np = randomPolicy(r, opts, `added-${c}`);
      current.set(`${np.metadata.namespace}/${np.metadata.name}`, np);
      affected = model.setPolicy(np);
      kinds.add++;
    }
    matrix.update(affected);
    changeMs.push(performance.now() - start);
    touched.push(bitset.count(bitset.orInto(affected.ingress.slice(), affected.egress)));
  }

  // The incrementally maintained matrix must equal one computed from scratch.
  t0 = performance.now();
  const fresh = new ReachabilityMatrix(
    new PolicyModel(new PodUniverse(cluster.pods, cluster.namespaces), [...current.values()]),
    80,
    "TCP",
    listening,
  );
  const recomputeMs = performance.now() - t0;
  const differingRows = matrix.rows.filter((row, s) => !bitset.equals(row, fresh.rows[s]!)).length;

  const results = {
    pods,
    namespaces: opts.namespaces,
    policies: policyCount,
    pairs: pods * pods,
    allowedPairs,
    isolatedIngress,
    isolatedEgress,
    generateMs: round(generateMs),
    universeMs: round(universeMs),
    compileMs: round(compileMs),
    matrixMs: round(matrixMs),
    fullSeconds: round((universeMs + compileMs + matrixMs) / 1000),
    peakRssMiBAfterFull: afterFull.peakRssMiB,
    heapUsedMiBAfterFull: afterFull.heapUsedMiB,
    changes: changeCount,
    changeKinds: kinds,
    changeMedianMs: round(percentile(changeMs, 50)),
    changeP95Ms: round(percentile(changeMs, 95)),
    changeMaxMs: round(Math.max(...changeMs)),
    podsTouchedMedian: percentile(touched, 50),
    podsTouchedMax: Math.max(...touched),
    recomputeFromScratchMs: round(recomputeMs),
    incrementalEqualsFromScratch: differingRows === 0,
    peakRssMiB: peakRssMiB(),
  };
  const md = `Offline analyzer (\`src/policy\` + \`src/analyzer/matrix.ts\`) on a seeded random cluster:
${opts.namespaces} namespaces x ${opts.podsPerNamespace} pods (10 apps each), ${policyCount} random NetworkPolicies
(every selector, peer and port form; ingress and egress). ${results.isolatedIngress} pods isolated for ingress,
${results.isolatedEgress} for egress; ${allowedPairs.toLocaleString("en")} of ${results.pairs.toLocaleString("en")} pairs reachable on TCP/80.
Goals: full matrix <= 10 s and <= 2 GiB; one policy change <= 100 ms.

| step | result |
|---|---|
| pod universe (indexes) | ${results.universeMs} ms |
| compile ${policyCount} policies | ${results.compileMs} ms |
| full matrix, ${results.pairs.toLocaleString("en")} pairs (TCP/80) | ${results.matrixMs} ms |
| **total, full analysis** | **${results.fullSeconds} s** |
| peak RSS after the full matrix | ${results.peakRssMiBAfterFull} MiB |
| one policy change, incremental (median / p95 / max of ${changeCount}) | ${results.changeMedianMs} / ${results.changeP95Ms} / ${results.changeMaxMs} ms |
| pods whose rules a change touched (median / max) | ${results.podsTouchedMedian} / ${results.podsTouchedMax} |
| same matrix from scratch after the changes | ${results.recomputeFromScratchMs} ms |
| incremental result equals from-scratch | ${results.incrementalEqualsFromScratch ? "yes" : "NO"} |
| peak RSS, whole run | ${results.peakRssMiB} MiB |

Changes: ${kinds.replace} replaced, ${kinds.delete} deleted, ${kinds.add} added. A change costs compiling the one policy,
relinking the pods it selects (before and after), and recomputing those pods' egress rows and ingress columns.`;
  writeResults("analyzer", { machine: machineInfo(), results }, "Analyzer", md);
  if (!results.incrementalEqualsFromScratch) process.exitCode = 1;
}

main();
