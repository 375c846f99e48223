/**
 * NetworkPolicy datapath benchmark: new-connection rate between two pods on one node
 * (bridged over cni0, judged by the policy table's forward chain) with 0 vs 1,000 policies in
 * the cluster (goal ratio >= 0.9). Three configurations stay loaded side by side, each in its
 * own scratch namespaces (bench/policy/topology.ts), and their runs interleave round by round
 * (bench/proxy/rates.ts: the shared machine's drifting load cancels in per-round ratios):
 *  - none: no policy table, conntrack on (an empty nat chain, as the service proxy's table
 *    turns it on on every node) and br_netfilter on: the kernel's own cost, for reference;
 *  - zero: flatnet's enforcer with the 1,002-pod cluster and no policy;
 *  - thousand: the same cluster with 1,000 policies (999 random + one isolating both measured
 *    pods in both directions and allowing their connection: the longest path per packet).
 * Also the enforcer's full sync with 1,000 policies and its incremental syncs after single
 * policy changes. Connection rates from bench/proxy/crr.c (TCP_CRR-style).
 *
 *   node dist/bench/policy/run.js          (root; after `npm run build`)
 *   FLATNET_BENCH_SECONDS=3 FLATNET_BENCH_REPS=5 override.
 * Writes bench/results/policy.json and bench/results/policy.md.
 */
import { Store } from "../../src/cluster/store.js";
import type { KObject } from "../../src/cluster/types.js";
import { run } from "../../src/kernel/exec.js";
import { PolicyEnforcer } from "../../src/policy/nft/enforcer.js";
import { NftPolicyTable } from "../../src/policy/nft/table.js";
import { ProcessGroup, waitForPort } from "../../test/helpers/nsproc.js";
import { machineInfo, writeResults } from "../common.js";
import { buildCrr, interleavedRates, pairedRatio } from "../proxy/rates.js";
import { BENCH_NODE, BENCH_POLICY, clusterObjects, randomPolicies, SERVER_PORT } from "./cluster.js";
import { type PolicyBenchResult, renderMarkdown } from "./report.js";
import { PolicyBenchTopology, SERVER_IP } from "./topology.js";

const SECONDS = Number(process.env.FLATNET_BENCH_SECONDS ?? 3);
const REPS = Number(process.env.FLATNET_BENCH_REPS ?? 5);
const CHANGES = 10;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const log = (m: string) => process.stderr.write(`${m}\n`);

async function startEnforcer(topo: PolicyBenchTopology, objects: KObject[]) {
  const store = new Store();
  for (const o of objects) store.apply(o);
  const enforcer = new PolicyEnforcer({
    source: store,
    node: BENCH_NODE,
    table: new NftPolicyTable(topo.node),
    log,
    minSyncIntervalMs: 1,
  });
  await enforcer.start();
  return { store, enforcer };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const crrBin = buildCrr();
  const topos: PolicyBenchTopology[] = [];
  const procs = new ProcessGroup();
  const enforcers: PolicyEnforcer[] = [];
  try {
    for (let i = 0; i < 3; i++) topos.push(await PolicyBenchTopology.create());
    const [none, zero, thousand] = topos as [PolicyBenchTopology, PolicyBenchTopology, PolicyBenchTopology];
    for (const t of topos) {
      procs.spawn(t.server, [crrBin.binary, "server", String(SERVER_PORT)]);
      await waitForPort(t.server, "tcp", SERVER_PORT);
    }
    // Conntrack as on a lab node (the proxy's nat chains turn it on), without a policy table.
    await run(["nft", "-f", "-"], {
      netns: none.node,
      input:
        "add table ip bench-conntrack\nadd chain ip bench-conntrack pre { type nat hook prerouting priority dstnat; }\n",
    });
    const cluster = clusterObjects();
    log("zero: enforcer with the cluster and no policy");
    const z = await startEnforcer(zero, cluster);
    enforcers.push(z.enforcer);
    log("thousand: enforcer with 1,000 policies");
    const policies = [...randomPolicies(999), BENCH_POLICY];
    const th = await startEnforcer(thousand, [...cluster, ...policies]);
    enforcers.push(th.enforcer);
    const full = th.enforcer.history[0]!;
    const elements = th.enforcer.programmed()!;
    const elementCount = [...elements.values()].reduce((n, m) => n + m.size, 0);
    const identities = new Set([
      ...elements.get("peer-pod-ids")!.values(),
      ...elements.get("peer-cidr-ids")!.values(),
    ]);

    log(`incremental syncs: ${CHANGES} single-policy changes with 1,000 loaded`);
    const changes: Array<{ ms: number; elements: number }> = [];
    const extra = randomPolicies(CHANGES, 1234);
    for (const p of extra) {
      const before = th.enforcer.history.length;
      th.store.apply({ ...p, metadata: { ...p.metadata, name: `change-${p.metadata.name}` } });
      await new Promise((r) => setTimeout(r, 5));
      await th.enforcer.settled();
      const last = th.enforcer.history.at(-1)!;
      if (th.enforcer.history.length > before) changes.push({ ms: last.ms, elements: last.changes });
    }
    for (const p of extra)
      th.store.delete("NetworkPolicy", p.metadata.namespace, `change-${p.metadata.name}`);
    await new Promise((r) => setTimeout(r, 5));
    await th.enforcer.settled();

    log(`connection rates: ${REPS} rounds x ${SECONDS} s per configuration`);
    const target = (label: string, t: PolicyBenchTopology) => ({
      label,
      clientNs: t.client,
      ip: SERVER_IP,
      port: SERVER_PORT,
    });
    const rates = await interleavedRates(
      crrBin.binary,
      [target("none", none), target("zero", zero), target("thousand", thousand)],
      REPS,
      SECONDS,
    );
    const result: PolicyBenchResult = {
      machine,
      params: {
        seconds: SECONDS,
        reps: REPS,
        pods: cluster.filter((o) => o.kind === "Pod").length,
        policies: policies.length,
      },
      table: {
        fullSyncMs: full.ms,
        elements: elementCount,
        localPods: cluster.filter((o) => o.kind === "Pod" && o.spec.nodeName === BENCH_NODE).length,
        isolatedIngress: elements.get("ingress-isolated")!.size,
        isolatedEgress: elements.get("egress-isolated")!.size,
        identities: identities.size,
        podIdentityEntries: elements.get("peer-pod-ids")!.size,
        cidrRanges: elements.get("peer-cidr-ids")!.size,
      },
      incremental: {
        changes: changes.length,
        medianMs: median(changes.map((c) => c.ms)),
        maxMs: Math.max(...changes.map((c) => c.ms)),
        medianElements: median(changes.map((c) => c.elements)),
      },
      connectionRate: {
        none: rates.median.none!,
        zero: rates.median.zero!,
        thousand: rates.median.thousand!,
        ratio: pairedRatio(rates, "thousand", "zero"),
        ratioZeroToNone: pairedRatio(rates, "zero", "none"),
        runs: rates.runs,
      },
    };
    writeResults("policy", result, "NetworkPolicy datapath: 0 vs 1,000 policies", renderMarkdown(result));
  } finally {
    for (const e of enforcers) e.stop();
    await procs.stopAll();
    for (const t of topos) await t.destroy();
    crrBin.remove();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
