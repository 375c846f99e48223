/** Markdown summary of the proxy benchmark (bench/results/proxy.md), with each goal's verdict. */
import type { NftShare } from "./nft-share.js";

export interface FullSyncRow {
  services: number;
  /** Medians over the rounds (flatnet and peer loads alternate). */
  flatnetMs: number;
  flatnetNftMs: number;
  /** The run's first flatnet sync at this size. */
  flatnetFirstMs: number;
  flatnetStartMs: number;
  flatnetScriptMiB: number;
  flatnetDeleteMs: number;
  peerMs: number;
  peerScriptMiB: number;
  peerDeleteMs: number;
  ratio: number;
  nftRatio: number;
  flatnetComputeCpuMs: number;
  flatnetNftCpuMs: number;
  peerCpuMs: number;
  cpuRatio: number;
  flatnetSamples: number[];
  peerSamples: number[];
}

export interface ProxyBenchResult {
  params: { endpointsPerService: number; seconds: number; reps: number; fullReps: number; changes: number };
  fullSync: FullSyncRow[];
  endpointChange: {
    loadedServices: number;
    flatnet: { medianMs: number; p90Ms: number; maxMs: number; elementsPerChange: number };
    peer: { medianMs: number; samples: number[] };
  };
  connectionRate: {
    vip10: number;
    direct10: number;
    vipBig: number;
    directBig: number;
    peerVipBig: number;
    vip10WithPeer: number;
    bigOverSmall: number;
    directBigOverSmall: number;
    vipOverDirect: number;
    vipOverDirect10: number;
    peerOverSmall: number;
    nftShare?: { small?: NftShare; big?: NftShare; peer?: NftShare };
  };
  distribution: {
    connections: number;
    errors: number;
    counts: number[];
    shares: number[];
    maxDeviationPoints: number;
    maxDeviationRelative: number;
    chiSquaredP: number;
  };
  runtimeSeconds: number;
}

const f1 = (n: number) => n.toFixed(1);
const ms = (n: number) => (n >= 10_000 ? `${f1(n / 1000)} s` : `${f1(n)} ms`);
const rate = (n: number) => `${Math.round(n).toLocaleString("en-US")}/s`;
const verdict = (ok: boolean) => (ok ? "met" : "**missed**");

export function renderMarkdown(r: ProxyBenchResult): string {
  const ch = r.endpointChange;
  const cr = r.connectionRate;
  const d = r.distribution;
  const lines = [
    `${r.params.endpointsPerService} endpoints per Service. flatnet: \`src/proxy\` (one table, maps and sets, chains per`,
    "endpoint count); peer: kube-proxy's nftables layout (a chain per service port and per endpoint) generated",
    "for the same Services (`bench/proxy/peer.ts`), loaded in the same scratch namespace.",
    "",
    "## Full sync",
    "",
    "flatnet: its full sync (compute from its caches; the table's structure, chains and rules, with `nft -f`; then every",
    "element in one nfnetlink transaction), and the cold start around it (listing every Service and EndpointSlice",
    "from the store first); peer: its one `nft -f`. flatnet and peer loads alternate in the same namespace; medians",
    "over the rounds (n = flatnet / peer). Goal: flatnet's sync <= 0.1x the peer.",
    "",
    "| Services | n | flatnet sync | of which kernel | first sync of the run | flatnet cold start | peer nft -f | ratio (sync / peer) | kernel only / peer | goal |",
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ...r.fullSync.map(
      (row) =>
        `| ${row.services.toLocaleString("en-US")} | ${row.flatnetSamples.length} / ${row.peerSamples.length} | ${ms(row.flatnetMs)} | ${ms(row.flatnetNftMs)} | ${ms(row.flatnetFirstMs)} | ${ms(row.flatnetStartMs)} | ${ms(row.peerMs)} | ${row.ratio.toFixed(3)}x | ${row.nftRatio.toFixed(3)}x | ${verdict(row.ratio <= 0.1)} |`,
    ),
    "",
    "CPU time, which the machine's load hardly changes: flatnet = the sync's computing and rendering + nft's user",
    "and system time for the structure + the element transaction's encoding and kernel time; peer = nft's.",
    "",
    "| Services | flatnet compute | flatnet kernel | peer nft | ratio (CPU) |",
    "|---:|---:|---:|---:|---:|",
    ...r.fullSync.map(
      (row) =>
        `| ${row.services.toLocaleString("en-US")} | ${ms(row.flatnetComputeCpuMs)} | ${ms(row.flatnetNftCpuMs)} | ${ms(row.peerCpuMs)} | ${row.cpuRatio.toFixed(3)}x |`,
    ),
    "",
    `Deleting the table afterwards: flatnet ${r.fullSync.map((x) => ms(x.flatnetDeleteMs)).join(" / ")}, peer ${r.fullSync.map((x) => ms(x.peerDeleteMs)).join(" / ")}.`,
    "",
    `## One endpoint change with ${ch.loadedServices.toLocaleString("en-US")} Services loaded`,
    "",
    "flatnet: EndpointSlice update in the store to the kernel commit (event, dirty mark, plan, one transaction);",
    "peer: its transaction (new endpoint chain, service chain rewritten, old chain deleted). Goal <= 50 ms.",
    "",
    "| | median | p90 | max | goal |",
    "|---|---:|---:|---:|---|",
    `| flatnet (${r.params.changes} changes, ${f1(ch.flatnet.elementsPerChange)} elements each) | ${ms(ch.flatnet.medianMs)} | ${ms(ch.flatnet.p90Ms)} | ${ms(ch.flatnet.maxMs)} | ${verdict(ch.flatnet.medianMs <= 50)} |`,
    `| peer (${ch.peer.samples.length} changes) | ${ms(ch.peer.medianMs)} | | ${ms(Math.max(...ch.peer.samples))} | |`,
    "",
    "## New-connection rate to one ClusterIP",
    "",
    `TCP connect + 1-byte request/response + close (bench/proxy/crr.c), ${r.params.seconds} s runs, client pod -> node ->`,
    "server pod. The 10-Service table stays loaded in a second, identical topology, and the runs interleave round by",
    `round (${r.params.reps} rounds, order alternating), so the shared machine's drifting load hits both alike; ratios are`,
    "per round, median over rounds. Goal: rate with the big table >= 0.9x with 10.",
    "",
    "| table loaded | via the VIP | straight to the pod IP | VIP / direct |",
    "|---|---:|---:|---:|",
    `| flatnet, 10 Services | ${rate(cr.vip10)} | ${rate(cr.direct10)} | ${cr.vipOverDirect10.toFixed(2)} |`,
    `| flatnet, ${ch.loadedServices.toLocaleString("en-US")} Services | ${rate(cr.vipBig)} | ${rate(cr.directBig)} | ${cr.vipOverDirect.toFixed(2)} |`,
    `| peer, ${ch.loadedServices.toLocaleString("en-US")} Services | ${rate(cr.peerVipBig)} | | |`,
    "",
    `flatnet big / small via the VIP: **${cr.bigOverSmall.toFixed(2)}** (${verdict(cr.bigOverSmall >= 0.9)}); the same for the`,
    `direct path, which no Service rule touches beyond the lookups every new connection makes: ${cr.directBigOverSmall.toFixed(2)}.`,
    `Peer big / flatnet small via the VIP (interleaved likewise, flatnet 10 at ${rate(cr.vip10WithPeer)} then): ${cr.peerOverSmall.toFixed(2)}.`,
    "",
    ...shareLines(cr.nftShare, ch.loadedServices),
    "## Distribution",
    "",
    `${d.connections.toLocaleString("en-US")} connections to a Service with 3 endpoints (${d.errors} errors): ` +
      `${d.counts.join(" / ")} = ${d.shares.map((s) => `${(s * 100).toFixed(1)}%`).join(" / ")}; ` +
      `largest deviation from 1/3: ${d.maxDeviationPoints.toFixed(1)} percentage points, ${(d.maxDeviationRelative * 100).toFixed(1)}% of 1/3 ` +
      `(goal 1/3 +- 5%: ${verdict(d.maxDeviationRelative <= 0.05)}); chi-squared against uniform: p = ${d.chiSquaredP.toFixed(2)}.`,
    "",
    `Whole run: ${f1(r.runtimeSeconds)} s.`,
  ];
  return lines.join("\n");
}

function shareLines(
  s: { small?: NftShare; big?: NftShare; peer?: NftShare } | undefined,
  big: number,
): string[] {
  if (!s?.small || !s.big) return ["(perf not available: no nf_tables share measured.)", ""];
  const pct = (x: NftShare | undefined) => (x ? `${x.percent.toFixed(1)}%` : "-");
  return [
    "Where a VIP connection's CPU goes (perf, the whole machine sampled at 999 Hz during one run; share of the",
    "crr client's and server's samples, user and kernel, that fall in nf_tables code: rule evaluation, set and map",
    "lookups and their hashing). This share hardly depends on the machine's load:",
    "",
    `| flatnet, 10 Services | flatnet, ${big.toLocaleString("en-US")} Services | peer, ${big.toLocaleString("en-US")} Services |`,
    "|---:|---:|---:|",
    `| ${pct(s.small)} | ${pct(s.big)} | ${pct(s.peer)} |`,
    "",
  ];
}
