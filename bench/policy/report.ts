/** Markdown summary of the policy benchmark (bench/results/policy.md), with the goal's verdict. */
import type { machineInfo } from "../common.js";

export interface PolicyBenchResult {
  [key: string]: unknown;
  machine: ReturnType<typeof machineInfo>;
  params: { seconds: number; reps: number; pods: number; policies: number };
  table: {
    fullSyncMs: number;
    elements: number;
    localPods: number;
    isolatedIngress: number;
    isolatedEgress: number;
    identities: number;
    podIdentityEntries: number;
    cidrRanges: number;
  };
  incremental: { changes: number; medianMs: number; maxMs: number; medianElements: number };
  connectionRate: {
    none: number;
    zero: number;
    thousand: number;
    /** Median over rounds of thousand / zero. */
    ratio: number;
    ratioZeroToNone: number;
    runs: Record<string, number[]>;
  };
}

/** Per-round ratios of a to b (runs interleave, so rounds pair up). */
function roundRatios(runs: Record<string, number[]>, a: string, b: string): number[] {
  return (runs[a] ?? []).map((x, i) => x / runs[b]![i]!);
}

const n0 = (x: number) => Math.round(x).toLocaleString("en-US");
const ms = (x: number) => `${x.toFixed(1)} ms`;

const spread = (xs: number[]) => `${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)}`;

export function renderMarkdown(r: PolicyBenchResult): string {
  const c = r.connectionRate;
  return `Two pods on one node (bridged over \`cni0\`, judged in the policy table's forward chain through
br_netfilter), TCP_CRR-style connections (\`bench/proxy/crr.c\`), ${r.params.reps} interleaved rounds of
${r.params.seconds} s per configuration; the cluster has ${n0(r.params.pods)} pods in every configuration,
${r.table.localPods} of them on the measured node (\`bench/policy/cluster.ts\`). With 1,000 policies both
measured pods are isolated in both directions and allowed by one rule each, so every new connection does
the identity lookups and the allow-set lookups of both chains; replies and later packets take
\`ct state established,related accept\`.

## Connection rate

| configuration | connections/s (median) |
|---|---:|
| no policy table (conntrack on, as on a lab node) | ${n0(c.none)} |
| flatnet, 0 policies | ${n0(c.zero)} |
| flatnet, 1,000 policies | ${n0(c.thousand)} |

Ratio 1,000 / 0 policies (median of per-round ratios): **${c.ratio.toFixed(3)}** (goal >= 0.9: ${
    c.ratio >= 0.9 ? "met" : "**missed**"
  }). 0 policies / no table: ${c.ratioZeroToNone.toFixed(3)}. The machine is shared with other work, so
single rounds scatter: per-round ratios 1,000 / 0 ranged ${spread(roundRatios(c.runs, "thousand", "zero"))},
0 / none ${spread(roundRatios(c.runs, "zero", "none"))}.

## The table with 1,000 policies

| | |
|---|---:|
| full sync (compile 1,000 policies, compute, one \`nft -f\`) | ${ms(r.table.fullSyncMs)} |
| elements in the node's table | ${n0(r.table.elements)} |
| pods on the node / isolated for ingress / for egress | ${r.table.localPods} / ${r.table.isolatedIngress} / ${r.table.isolatedEgress} |
| peer identities / pod entries in the identity map / address ranges | ${n0(r.table.identities)} / ${n0(r.table.podIdentityEntries)} / ${n0(r.table.cidrRanges)} |
| one policy added or changed: incremental sync, median (max) | ${ms(r.incremental.medianMs)} (${ms(r.incremental.maxMs)}) over ${r.incremental.changes} changes |
| elements per incremental transaction (median) | ${r.incremental.medianElements} |
`;
}
