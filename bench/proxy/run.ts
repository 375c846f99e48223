/**
 * Service proxy benchmark: flatnet's proxy (maps and sets, few chains) against a
 * kube-proxy-shaped ruleset (a chain per service port and per endpoint, bench/proxy/peer.ts)
 * for the same Services, measured in the same run in scratch namespaces:
 *  - full sync of 1,000 and 10,000 Services x 10 endpoints: flatnet from its caches to
 *    programmed (compute, `nft -f` of the structure, one nfnetlink transaction of the
 *    elements), the peer's single `nft -f` load (goal <= 0.1x);
 *    flatnet and peer loads alternate (FULL_REPS rounds; the peer's 10,000 load, about two
 *    minutes, once) and medians are compared;
 *  - one endpoint change with 10,000 loaded: flatnet from the EndpointSlice update to the
 *    commit (the idle case: no coalescing delay), the peer's transaction (goal <= 50 ms);
 *  - new-connection rate to one VIP with 10 vs 10,000 Services loaded (goal ratio >= 0.9),
 *    the same path straight to the pod IP, and the peer's VIP rate with 10,000 loaded. The
 *    10-Service table stays loaded in a second topology, so the runs interleave round by
 *    round (bench/proxy/rates.ts): the shared machine's drifting load cancels out;
 *  - distribution of 3,000 connections over a Service with 3 endpoints (goal 1/3 +- 5%).
 *
 *   node dist/bench/proxy/run.js          (root; after `npm run build`)
 *   FLATNET_BENCH_SECONDS=2 FLATNET_BENCH_REPS=8 FLATNET_BENCH_FULL_REPS=5
 *   FLATNET_BENCH_SIZES=1000,10000 override.
 * Writes bench/results/proxy.json and bench/results/proxy.md.
 */
import { run } from "../../src/kernel/exec.js";
import { PROXY_TABLE } from "../../src/proxy/ruleset.js";
import { ProcessGroup, waitForPort } from "../../test/helpers/nsproc.js";
import { machineInfo, writeResults } from "../common.js";
import { BENCH_NAMESPACE, type SyntheticService, syntheticServices } from "./cluster.js";
import { nftTimed } from "./nft-cpu.js";
import { type NftShare, nftShare, perfAvailable } from "./nft-share.js";
import { CLUSTER_CIDR, changed, endpointChanges, startOurs } from "./ours.js";
import { PEER_TABLE, peerEndpointChange, peerRuleset } from "./peer.js";
import { buildCrr, crr, interleavedRates, pairedRatio } from "./rates.js";
import { type FullSyncRow, renderMarkdown } from "./report.js";
import { BenchTopology, SERVER_IP } from "./topology.js";

const SECONDS = Number(process.env.FLATNET_BENCH_SECONDS ?? 2);
const REPS = Number(process.env.FLATNET_BENCH_REPS ?? 8);
const FULL_REPS = Number(process.env.FLATNET_BENCH_FULL_REPS ?? 5);
/** Above this many Services the peer's load takes minutes: it is measured once. */
const PEER_ONCE_ABOVE = 2000;
/** flatnet's full loads at the sizes where the peer is measured once. */
const BIG_REPS = 3;
const SIZES = (process.env.FLATNET_BENCH_SIZES ?? "1000,10000").split(",").map(Number);
const ENDPOINTS = 10;
const CHANGES = 20;
const PEER_CHANGES = 5;
const DIST_CONNECTIONS = 3000;

/** The Services that carry the measured traffic (endpoints in the server pod). */
const RATE_SVC: SyntheticService = {
  name: "rate",
  clusterIP: "10.96.0.50",
  port: 80,
  endpoints: [{ ip: SERVER_IP, port: 8000, node: "node-1" }],
};
const DIST_SVC: SyntheticService = {
  name: "dist",
  clusterIP: "10.96.0.51",
  port: 80,
  endpoints: [8001, 8002, 8003].map((port) => ({ ip: SERVER_IP, port, node: "node-1" })),
};

const ms = (t0: number) => performance.now() - t0;
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const log = (m: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${m}\n`);

/** How long the kernel gets after a table is deleted: it frees the table in the background. */
const SETTLE_MS = 500;

/**
 * Deletes a loaded table (timed), then lets the kernel finish freeing it (RCU callbacks and
 * workqueues, on either core), so the next load, ours or the peer's, does not pay for it.
 */
async function deleteTable(topo: BenchTopology, table: string): Promise<number> {
  const t0 = performance.now();
  await run(["nft", "delete", "table", "ip", table], { netns: topo.node, timeoutMs: 600_000 }).catch(
    () => undefined,
  );
  const took = ms(t0);
  await sleep(SETTLE_MS);
  return took;
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const crrBin = buildCrr();
  // small: the 10-Service table, loaded for the whole run; big: the table under test.
  const small = await BenchTopology.create();
  const big = await BenchTopology.create().catch(async (e) => {
    await small.destroy();
    throw e;
  });
  const procs = new ProcessGroup();
  const started = performance.now();
  try {
    for (const topo of [small, big]) {
      // Two servers, so each answers with the index of its own ports: 0 for the rate Service's
      // endpoint, 0-2 for the three endpoints of the distribution Service.
      procs.spawn(topo.server, [crrBin.binary, "server", "8000"]);
      procs.spawn(topo.server, [crrBin.binary, "server", "8001", "8002", "8003"]);
      for (const p of [8000, 8003]) await waitForPort(topo.server, "tcp", p);
    }
    const target = (label: string, topo: BenchTopology, ip: string, port: number) => ({
      label,
      clientNs: topo.client,
      ip,
      port,
    });
    const smallVip = target("smallVip", small, RATE_SVC.clusterIP, 80);
    const smallDirect = target("smallDirect", small, SERVER_IP, 8000);

    log("flatnet: 10 Services (kept loaded as the reference) and the distribution");
    const reference = await startOurs(small, [...syntheticServices(10, ENDPOINTS), RATE_SVC, DIST_SVC], log);
    const dist = await crr(crrBin.binary, small.client, DIST_SVC.clusterIP, 80, SECONDS, DIST_CONNECTIONS);

    const fullSync: FullSyncRow[] = [];
    let change: { samples: number[]; elementsPerChange: number } | undefined;
    let flatnetRates: Awaited<ReturnType<typeof interleavedRates>> | undefined;
    let peerRates: Awaited<ReturnType<typeof interleavedRates>> | undefined;
    const peerChangeSamples: number[] = [];
    const withPerf = await perfAvailable();
    const nftShares: { small?: NftShare; big?: NftShare; peer?: NftShare } = {};
    const biggest = Math.max(...SIZES);
    for (const size of SIZES) {
      const fillers = syntheticServices(size, ENDPOINTS);
      const peerText = peerRuleset(BENCH_NAMESPACE, [...fillers, RATE_SVC, DIST_SVC], CLUSTER_CIDR);
      // The peer's changes start from what its text loaded, whatever flatnet's changes did.
      const peerFillers = [...fillers];
      const peerReps = size > PEER_ONCE_ABOVE ? 1 : FULL_REPS;
      const ourReps = size > PEER_ONCE_ABOVE ? BIG_REPS : FULL_REPS;
      const ours = {
        ms: [] as number[],
        nft: [] as number[],
        nftCpu: [] as number[],
        syncCpu: [] as number[],
        start: [] as number[],
        del: [] as number[],
      };
      const peer = { ms: [] as number[], cpu: [] as number[], del: [] as number[] };
      let scriptMiB = 0;
      for (let r = 0; r < Math.max(ourReps, peerReps); r++) {
        if (r < ourReps) {
          log(`flatnet: full sync of ${size} Services x ${ENDPOINTS} endpoints (${r + 1}/${ourReps})`);
          const loaded = await startOurs(big, [...fillers, RATE_SVC, DIST_SVC], log);
          // The kernel's part of the sync: the structure (`nft -f`) and the elements (nfnetlink).
          const nft = loaded.table.applies[0]!;
          const elements = loaded.table.replacements[0]!;
          ours.ms.push(loaded.proxy.history[0]!.ms);
          // Wall: from the structure's start to the elements' commit (they overlap).
          ours.nft.push(elements.end - nft.start);
          ours.nftCpu.push(nft.cpuMs + elements.cpuMs);
          ours.syncCpu.push(loaded.proxy.history[0]!.computeCpuMs);
          ours.start.push(loaded.fullMs);
          scriptMiB = nft.bytes / 2 ** 20;
          if (size === biggest && r === ourReps - 1) {
            log(`flatnet: ${CHANGES} single endpoint changes with ${size} loaded`);
            change = await endpointChanges(loaded, fillers, size, CHANGES, ENDPOINTS, big);
            log("flatnet: connection rates, 10 vs the big table, interleaved");
            flatnetRates = await interleavedRates(
              crrBin.binary,
              [
                smallVip,
                target("bigVip", big, RATE_SVC.clusterIP, 80),
                smallDirect,
                target("bigDirect", big, SERVER_IP, 8000),
              ],
              REPS,
              SECONDS,
            );
            if (withPerf) {
              log("flatnet: nf_tables share of a connection's CPU, 10 and the big table");
              nftShares.small = await nftShare(crrBin.binary, smallVip, SECONDS);
              nftShares.big = await nftShare(
                crrBin.binary,
                target("bigVip", big, RATE_SVC.clusterIP, 80),
                SECONDS,
              );
            }
          }
          loaded.proxy.stop();
          ours.del.push(await deleteTable(big, PROXY_TABLE));
        }
        if (r < peerReps) {
          log(`peer: kube-proxy-shaped load of ${size} Services (${r + 1}/${peerReps})`);
          const t = await nftTimed(big.node, peerText);
          peer.ms.push(t.ms);
          peer.cpu.push(t.cpuMs);
          if (size === biggest && r === peerReps - 1) {
            log(`peer: ${PEER_CHANGES} single endpoint changes`);
            for (let k = 0; k < PEER_CHANGES; k++) {
              const i = (k * 104729 + 13) % size;
              const next = changed(peerFillers[i]!, k % ENDPOINTS, 60000 + k);
              const text = peerEndpointChange(BENCH_NAMESPACE, peerFillers[i]!, next, CLUSTER_CIDR);
              const c0 = performance.now();
              await run(["nft", "-f", "-"], { netns: big.node, input: text, timeoutMs: 600_000 });
              peerChangeSamples.push(ms(c0));
              peerFillers[i] = next;
            }
            log("peer: connection rate with the big table, interleaved with flatnet's 10");
            peerRates = await interleavedRates(
              crrBin.binary,
              [smallVip, target("peerVip", big, RATE_SVC.clusterIP, 80)],
              REPS,
              SECONDS,
            );
            if (withPerf) {
              log("peer: nf_tables share of a connection's CPU");
              nftShares.peer = await nftShare(
                crrBin.binary,
                target("peerVip", big, RATE_SVC.clusterIP, 80),
                SECONDS,
              );
            }
          }
          peer.del.push(await deleteTable(big, PEER_TABLE));
        }
      }
      fullSync.push({
        services: size,
        // The sync itself (compute from the proxy's caches, then one transaction)...
        flatnetMs: median(ours.ms),
        flatnetNftMs: median(ours.nft),
        // ...the first one of the run (code not yet warm, as after an agent start)...
        flatnetFirstMs: ours.ms[0]!,
        // ...and the cold start around it (listing every Service and slice from the store).
        flatnetStartMs: median(ours.start),
        flatnetScriptMiB: scriptMiB,
        flatnetDeleteMs: median(ours.del),
        peerMs: median(peer.ms),
        peerScriptMiB: peerText.length / 2 ** 20,
        peerDeleteMs: median(peer.del),
        ratio: median(ours.ms) / median(peer.ms),
        nftRatio: median(ours.nft) / median(peer.ms),
        // CPU time: the sync's computing and rendering, nft's own; the peer's nft.
        flatnetComputeCpuMs: median(ours.syncCpu),
        flatnetNftCpuMs: median(ours.nftCpu),
        peerCpuMs: median(peer.cpu),
        cpuRatio: (median(ours.syncCpu) + median(ours.nftCpu)) / median(peer.cpu),
        flatnetSamples: ours.ms,
        peerSamples: peer.ms,
      });
    }
    reference.proxy.stop();

    const c = change!;
    const fr = flatnetRates!;
    const pr = peerRates!;
    const shares = dist.answers.slice(0, 3).map((n) => n / dist.connections);
    const result = {
      machine,
      params: {
        endpointsPerService: ENDPOINTS,
        seconds: SECONDS,
        reps: REPS,
        fullReps: FULL_REPS,
        sizes: SIZES,
        changes: CHANGES,
      },
      fullSync,
      endpointChange: {
        loadedServices: biggest,
        flatnet: {
          medianMs: median(c.samples),
          p90Ms: quantile(c.samples, 0.9),
          maxMs: Math.max(...c.samples),
          elementsPerChange: c.elementsPerChange,
          samples: c.samples,
        },
        peer: { medianMs: median(peerChangeSamples), samples: peerChangeSamples },
      },
      connectionRate: {
        vip10: fr.median.smallVip!,
        direct10: fr.median.smallDirect!,
        vipBig: fr.median.bigVip!,
        directBig: fr.median.bigDirect!,
        peerVipBig: pr.median.peerVip!,
        vip10WithPeer: pr.median.smallVip!,
        // Goal: per-round ratio, median over rounds (drift cancels); the direct path as control.
        bigOverSmall: pairedRatio(fr, "bigVip", "smallVip"),
        directBigOverSmall: pairedRatio(fr, "bigDirect", "smallDirect"),
        vipOverDirect: pairedRatio(fr, "bigVip", "bigDirect"),
        vipOverDirect10: pairedRatio(fr, "smallVip", "smallDirect"),
        peerOverSmall: pairedRatio(pr, "peerVip", "smallVip"),
        runs: { flatnet: fr.runs, peer: pr.runs },
        // Percent of crr's CPU samples in nf_tables code (undefined without perf).
        nftShare: withPerf ? nftShares : undefined,
      },
      distribution: {
        connections: dist.connections,
        errors: dist.errors,
        counts: dist.answers.slice(0, 3),
        shares,
        maxDeviationPoints: Math.max(...shares.map((s) => Math.abs(s - 1 / 3))) * 100,
        maxDeviationRelative: Math.max(...shares.map((s) => Math.abs(s * 3 - 1))),
        // Pearson's chi-squared against uniform, 2 degrees of freedom: p = exp(-chi2 / 2).
        chiSquaredP: Math.exp(
          -dist.answers
            .slice(0, 3)
            .reduce((acc, n) => acc + (n - dist.connections / 3) ** 2 / (dist.connections / 3), 0) / 2,
        ),
      },
      runtimeSeconds: ms(started) / 1000,
    };
    writeResults(
      "proxy",
      result,
      "Service proxy: flatnet vs a kube-proxy-shaped ruleset",
      renderMarkdown(result),
    );
  } finally {
    await procs.stopAll();
    await small.destroy();
    await big.destroy();
    crrBin.remove();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
