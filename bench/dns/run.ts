/**
 * Cluster DNS benchmark: dnsperf queries/s and latency for cluster names against flatnet's
 * server and Knot DNS (the reference authoritative server) serving the same records from
 * 10,000 Services, in the same run, both on 127.0.53.x; runs alternate between the servers.
 * flatnet is measured with its answer cache (the default) and without it. Also: time to build
 * the zone from the store and the memory the DNS state takes for 10,000 Services.
 *
 *   node dist/bench/dns/run.js      (after `npm run build`; needs dnsperf and knot)
 *   FLATNET_BENCH_SECONDS=10 FLATNET_BENCH_REPS=3 override the defaults.
 * Writes bench/results/dns.json and bench/results/dns.md.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { Store } from "../../src/cluster/store.js";
import { QueryHandler } from "../../src/dns/handler.js";
import { type DnsServer, startDnsServer } from "../../src/dns/server.js";
import { ZoneSync } from "../../src/dns/sync.js";
import { Zone } from "../../src/dns/zone.js";
import { startKnot } from "../../test/integration/knot-fixture.js";
import { machineInfo, writeResults } from "../common.js";
import { clusterRecords, DOMAIN, queryFile, syntheticCluster, zoneFiles } from "./cluster.js";

const SERVICES = 10_000;
const SECONDS = Number(process.env.FLATNET_BENCH_SECONDS ?? 10);
const REPS = Number(process.env.FLATNET_BENCH_REPS ?? 3);
const FLATNET_ADDR = "127.0.53.20";
const KNOT_ADDR = "127.0.53.21";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

interface PerfRun {
  qps: number;
  avgLatencyMs: number;
  latencyStdDevMs: number;
  completedPct: number;
}

function dnsperf(address: string, port: number, file: string): Promise<PerfRun> {
  const args = [
    "-s",
    address,
    "-p",
    String(port),
    "-d",
    file,
    "-l",
    String(SECONDS),
    "-c",
    "10",
    "-q",
    "200",
  ];
  return new Promise((resolve, reject) => {
    execFile("dnsperf", args, { timeout: (SECONDS + 30) * 1000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`dnsperf ${args.join(" ")}: ${err.message} ${stderr}`));
      const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? Number.NaN);
      resolve({
        qps: num(/Queries per second:\s+([\d.]+)/),
        avgLatencyMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
        latencyStdDevMs: num(/Latency StdDev \(s\):\s+([\d.]+)/) * 1000,
        completedPct: num(/Queries completed:\s+\d+ \(([\d.]+)%\)/),
      });
    });
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const cluster = syntheticCluster(SERVICES);
  const store = new Store();
  for (const o of [...cluster.namespaces, ...cluster.services, ...cluster.endpointSlices]) store.apply(o);

  // Memory and build time of the DNS state for 10,000 Services. The lists are what the DNS
  // process's mirror of the cluster holds, so they count.
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const zone = new Zone(DOMAIN, 30);
  const sync = new ZoneSync(store, zone);
  sync.start();
  const buildMs = performance.now() - t0;
  gc();
  const heapBytes = process.memoryUsage().heapUsed - heap0;
  const names = zone.size;
  const recordCount = zone.allRecords().length;

  const dir = mkdtempSync(join(tmpdir(), "flatnet-dns-bench-"));
  const file = join(dir, "queries.txt");
  writeFileSync(file, queryFile(cluster, 20_000));
  const knot = await startKnot(KNOT_ADDR, zoneFiles(clusterRecords(cluster)), undefined, undefined, 0);
  const cached = new QueryHandler({ zone, ready: () => sync.ready });
  const uncached = new QueryHandler({ zone, ready: () => sync.ready, cacheEntries: 0 });
  let server: DnsServer | undefined;
  const runs: Record<string, PerfRun[]> = { flatnet: [], "flatnet-nocache": [], knot: [] };
  try {
    for (let rep = 0; rep < REPS; rep++) {
      for (const [label, handler] of [
        ["flatnet", cached],
        ["flatnet-nocache", uncached],
      ] as const) {
        server = await startDnsServer({ handler, listen: { address: FLATNET_ADDR, port: 0 } });
        runs[label]!.push(await dnsperf(FLATNET_ADDR, server.port, file));
        await server.close();
        server = undefined;
      }
      runs.knot!.push(await dnsperf(KNOT_ADDR, knot.port, file));
      process.stderr.write(
        `rep ${rep + 1}/${REPS}: ${JSON.stringify(Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, v.at(-1)?.qps])))}\n`,
      );
    }
  } finally {
    await server?.close();
    await knot.stop();
    sync.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  gc();
  const rssMiB = process.memoryUsage().rss / 2 ** 20;

  const summary = Object.fromEntries(
    Object.entries(runs).map(([k, v]) => [
      k,
      {
        qpsMedian: Math.round(median(v.map((r) => r.qps))),
        avgLatencyMsMedian: Number(median(v.map((r) => r.avgLatencyMs)).toFixed(3)),
        completedPctMin: Math.min(...v.map((r) => r.completedPct)),
        runs: v,
      },
    ]),
  ) as Record<
    string,
    { qpsMedian: number; avgLatencyMsMedian: number; completedPctMin: number; runs: PerfRun[] }
  >;
  const ratio = summary.flatnet!.qpsMedian / summary.knot!.qpsMedian;
  const ratioNoCache = summary["flatnet-nocache"]!.qpsMedian / summary.knot!.qpsMedian;
  const machine = machineInfo();
  const data = {
    machine,
    services: SERVICES,
    seconds: SECONDS,
    reps: REPS,
    queryMix:
      "70% A ClusterIP, 10% A headless (3 endpoints), 10% SRV, 5% PTR, 5% NXDOMAIN; 20,000 distinct lines",
    dnsperf: "-c 10 -q 200",
    zone: {
      names,
      records: recordCount,
      buildMs: Number(buildMs.toFixed(1)),
      heapMiB: Number((heapBytes / 2 ** 20).toFixed(1)),
    },
    processRssMiB: Number(rssMiB.toFixed(1)),
    results: summary,
    ratioToKnot: Number(ratio.toFixed(3)),
    ratioToKnotNoCache: Number(ratioNoCache.toFixed(3)),
    goals: { ratioToKnot: 0.3, qps: 33669 },
  };
  const row = (label: string, key: string) => {
    const s = summary[key]!;
    return `| ${label} | ${s.qpsMedian.toLocaleString("en-US")} | ${s.avgLatencyMsMedian} | ${s.completedPctMin}% | ${s.runs.map((r) => Math.round(r.qps).toLocaleString("en-US")).join(", ")} |`;
  };
  const md = [
    `dnsperf (${data.dnsperf}, ${SECONDS} s per run, ${REPS} runs each, alternating) against each server on 127.0.53.x, both serving the records of ${SERVICES.toLocaleString("en-US")} Services (${names.toLocaleString("en-US")} names, ${recordCount.toLocaleString("en-US")} records). Query mix: ${data.queryMix}. flatnet's server is one Node.js thread; Knot runs its default worker threads. dnsperf shares the 2 cores.`,
    "",
    "| server | queries/s (median) | avg latency ms (median) | completed (min) | runs (q/s) |",
    "| --- | ---: | ---: | ---: | --- |",
    row("flatnet (answer cache on, the default)", "flatnet"),
    row("flatnet (answer cache off)", "flatnet-nocache"),
    row("Knot DNS 3.2 (reference)", "knot"),
    "",
    `Ratio to Knot: ${ratio.toFixed(3)}x with the cache, ${ratioNoCache.toFixed(3)}x without (goal >= 0.3x and >= 33,669 q/s: ${ratio >= 0.3 && summary.flatnet!.qpsMedian >= 33669 ? "met" : "missed"}).`,
    "",
    `DNS state for ${SERVICES.toLocaleString("en-US")} Services: zone built from the store in ${buildMs.toFixed(0)} ms; ${(heapBytes / 2 ** 20).toFixed(1)} MiB of heap (zone index plus the mirrored Service and EndpointSlice objects); whole benchmark process RSS ${rssMiB.toFixed(0)} MiB.`,
  ].join("\n");
  writeResults("dns", data, "Cluster DNS: flatnet vs Knot DNS", md);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
