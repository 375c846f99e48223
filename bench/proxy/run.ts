/**
 * Service proxy benchmark: flatnet's proxy (maps and sets, few chains) against a
 * kube-proxy-shaped ruleset (a chain per service port and per endpoint, bench/proxy/peer.ts)
 * for the same Services, measured in the same run in scratch namespaces:
 *  - full sync of 1,000 and 10,000 Services x 10 endpoints: flatnet from store events to
 *    programmed (compute + one `nft -f`), the peer's single `nft -f` load (goal <= 0.1x);
 *  - one endpoint change with 10,000 loaded: flatnet from the EndpointSlice update to the
 *    commit (the idle case: no coalescing delay), the peer's transaction (goal <= 50 ms);
 *  - new-connection rate to one VIP with 10 vs 10,000 Services loaded (goal ratio >= 0.9),
 *    the same path straight to the pod IP, and the peer's VIP rate with 10,000 loaded;
 *  - distribution of 3,000 connections over a Service with 3 endpoints (goal 1/3 +- 5%).
 * Connection rates come from bench/proxy/crr.c (TCP_CRR-style), alternating VIP and direct.
 *
 *   node dist/bench/proxy/run.js          (root; after `npm run build`)
 *   FLATNET_BENCH_SECONDS=3 FLATNET_BENCH_REPS=3 FLATNET_BENCH_SIZES=1000,10000 override.
 * Writes bench/results/proxy.json and bench/results/proxy.md.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "../../src/cluster/store.js";
import { run } from "../../src/kernel/exec.js";
import { ConntrackTool } from "../../src/proxy/conntrack.js";
import { NftProxyTable, type ProxyTable } from "../../src/proxy/nft.js";
import { ServiceProxy } from "../../src/proxy/proxier.js";
import { DEFAULT_MASQUERADE_MARK, PROXY_TABLE } from "../../src/proxy/ruleset.js";
import { repoRoot } from "../../test/helpers/cli.js";
import { execIn, ProcessGroup, waitForPort } from "../../test/helpers/nsproc.js";
import { machineInfo, writeResults } from "../common.js";
import {
  BENCH_NAMESPACE,
  PROXY_NODE,
  type SyntheticService,
  serviceObject,
  sliceObjects,
  syntheticServices,
} from "./cluster.js";
import { PEER_TABLE, peerEndpointChange, peerRuleset } from "./peer.js";
import { renderMarkdown } from "./report.js";
import { BenchTopology, SERVER_IP } from "./topology.js";

const SECONDS = Number(process.env.FLATNET_BENCH_SECONDS ?? 3);
const REPS = Number(process.env.FLATNET_BENCH_REPS ?? 3);
const SIZES = (process.env.FLATNET_BENCH_SIZES ?? "1000,10000").split(",").map(Number);
const ENDPOINTS = 10;
const CHANGES = 20;
const PEER_CHANGES = 5;
const DIST_CONNECTIONS = 3000;
const CLUSTER_CIDR = "10.244.0.0/16";
const config = {
  table: PROXY_TABLE,
  clusterCIDR: CLUSTER_CIDR,
  serviceCIDR: "10.96.0.0/12",
  masqueradeMark: DEFAULT_MASQUERADE_MARK,
};

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

/** Times each transaction the proxy sends. */
class TimedTable implements ProxyTable {
  readonly applies: Array<{ ms: number; bytes: number }> = [];
  constructor(private readonly inner: ProxyTable) {}
  async apply(script: string): Promise<void> {
    const t0 = performance.now();
    await this.inner.apply(script);
    this.applies.push({ ms: ms(t0), bytes: script.length });
  }
  objects() {
    return this.inner.objects();
  }
  listElements(name: string) {
    return this.inner.listElements(name);
  }
}

interface Crr {
  connections: number;
  rate: number;
  errors: number;
  answers: number[];
}

function buildCrr(): { binary: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "flatnet-bench-crr-"));
  const binary = join(dir, "crr");
  execFileSync("cc", ["-O2", "-Wall", "-o", binary, join(repoRoot(), "bench", "proxy", "crr.c")], {
    stdio: "inherit",
  });
  return { binary, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

async function crr(
  topo: BenchTopology,
  binary: string,
  ip: string,
  port: number,
  max?: number,
): Promise<Crr> {
  const argv = [
    binary,
    "client",
    ip,
    String(port),
    String(max ? 120 : SECONDS),
    ...(max ? [String(max)] : []),
  ];
  const r = await execIn(topo.client, argv);
  if (r.code !== 0) throw new Error(`crr ${ip}:${port}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Crr;
}

/** Alternating VIP / direct rate pairs; medians. */
async function rates(topo: BenchTopology, binary: string): Promise<{ vip: number; direct: number }> {
  const vip: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const order = i % 2 === 0 ? ["vip", "direct"] : ["direct", "vip"];
    for (const which of order) {
      const r =
        which === "vip"
          ? await crr(topo, binary, RATE_SVC.clusterIP, 80)
          : await crr(topo, binary, SERVER_IP, 8000);
      (which === "vip" ? vip : direct).push(r.rate);
    }
  }
  return { vip: median(vip), direct: median(direct) };
}

async function deleteTable(topo: BenchTopology, table: string): Promise<number> {
  const t0 = performance.now();
  await run(["nft", "delete", "table", "ip", table], { netns: topo.node, timeoutMs: 600_000 }).catch(
    () => undefined,
  );
  return ms(t0);
}

async function startOurs(topo: BenchTopology, fillers: SyntheticService[]) {
  const store = new Store();
  for (const s of [...fillers, RATE_SVC, DIST_SVC]) {
    store.apply(serviceObject(s));
    for (const sl of sliceObjects(s)) store.apply(sl);
  }
  const table = new TimedTable(new NftProxyTable(topo.node, PROXY_TABLE));
  const proxy = new ServiceProxy({
    source: store,
    node: PROXY_NODE,
    config,
    table,
    conntrack: new ConntrackTool(topo.node),
    log,
  });
  const t0 = performance.now();
  await proxy.start();
  return { store, proxy, table, fullMs: ms(t0) };
}

/** Replace endpoint `slot` of service `i` by a fresh address. */
function changed(s: SyntheticService, slot: number, serial: number): SyntheticService {
  const endpoints = [...s.endpoints];
  endpoints[slot] = { ...endpoints[slot]!, ip: `10.200.${(serial >> 8) & 255}.${serial & 255}` };
  return { ...s, endpoints };
}

async function main(): Promise<void> {
  const machine = machineInfo();
  const crrBin = buildCrr();
  const topo = await BenchTopology.create();
  const procs = new ProcessGroup();
  const started = performance.now();
  try {
    // Two servers, so each answers with the index of its own ports: 0 for the rate Service's
    // endpoint, 0-2 for the three endpoints of the distribution Service.
    procs.spawn(topo.server, [crrBin.binary, "server", "8000"]);
    procs.spawn(topo.server, [crrBin.binary, "server", "8001", "8002", "8003"]);
    for (const p of [8000, 8003]) await waitForPort(topo.server, "tcp", p);

    log("flatnet: 10 Services: connection rates and distribution");
    const small = await startOurs(topo, syntheticServices(10, ENDPOINTS));
    const rate10 = await rates(topo, crrBin.binary);
    const dist = await crr(topo, crrBin.binary, DIST_SVC.clusterIP, 80, DIST_CONNECTIONS);
    small.proxy.stop();
    await deleteTable(topo, PROXY_TABLE);

    const fullSync: Array<Record<string, number>> = [];
    let change: { samples: number[]; elementsPerChange: number } | undefined;
    let rateBig: { vip: number; direct: number } | undefined;
    const peerChangeSamples: number[] = [];
    let peerVipBig = 0;
    const biggest = Math.max(...SIZES);
    for (const size of SIZES) {
      log(`flatnet: full sync of ${size} Services x ${ENDPOINTS} endpoints`);
      const fillers = syntheticServices(size, ENDPOINTS);
      const ours = await startOurs(topo, fillers);
      const nft = ours.table.applies[0]!;
      const row: Record<string, number> = {
        services: size,
        // The sync itself (compute from the proxy's caches, then one transaction)...
        flatnetMs: ours.proxy.history[0]!.ms,
        flatnetNftMs: nft.ms,
        // ...and the cold start around it (listing every Service and slice from the store).
        flatnetStartMs: ours.fullMs,
        flatnetScriptMiB: nft.bytes / 2 ** 20,
      };
      if (size === biggest) {
        log(`flatnet: ${CHANGES} single endpoint changes with ${size} loaded`);
        const samples: number[] = [];
        let elements = 0;
        for (let k = 0; k < CHANGES; k++) {
          const i = (k * 7919) % size;
          const next = changed(fillers[i]!, k % ENDPOINTS, k + 1);
          const t0 = performance.now();
          ours.store.apply(sliceObjects(next)[0]!);
          await ours.proxy.settled();
          samples.push(ms(t0));
          elements += ours.proxy.history.at(-1)?.changes ?? 0;
          fillers[i] = next;
          await sleep(120);
        }
        const last = fillers[((CHANGES - 1) * 7919) % size]!.endpoints[(CHANGES - 1) % ENDPOINTS]!.ip;
        const listed = await run(["nft", "list", "map", "ip", PROXY_TABLE, "cluster-endpoints-tcp"], {
          netns: topo.node,
        });
        if (!listed.includes(last)) throw new Error(`the last change (${last}) is not in the kernel`);
        change = { samples, elementsPerChange: elements / CHANGES };
        log("flatnet: connection rates with the big table");
        rateBig = await rates(topo, crrBin.binary);
      }
      ours.proxy.stop();
      row.flatnetDeleteMs = await deleteTable(topo, PROXY_TABLE);

      log(`peer: kube-proxy-shaped load of ${size} Services`);
      const peerText = peerRuleset(BENCH_NAMESPACE, [...fillers, RATE_SVC, DIST_SVC], CLUSTER_CIDR);
      const t0 = performance.now();
      await run(["nft", "-f", "-"], { netns: topo.node, input: peerText, timeoutMs: 1_800_000 });
      row.peerMs = ms(t0);
      row.peerScriptMiB = peerText.length / 2 ** 20;
      row.ratio = row.flatnetMs! / row.peerMs;
      if (size === biggest) {
        log(`peer: ${PEER_CHANGES} single endpoint changes`);
        for (let k = 0; k < PEER_CHANGES; k++) {
          const i = (k * 104729 + 13) % size;
          const next = changed(fillers[i]!, k % ENDPOINTS, 60000 + k);
          const text = peerEndpointChange(BENCH_NAMESPACE, fillers[i]!, next, CLUSTER_CIDR);
          const c0 = performance.now();
          await run(["nft", "-f", "-"], { netns: topo.node, input: text, timeoutMs: 600_000 });
          peerChangeSamples.push(ms(c0));
          fillers[i] = next;
        }
        log("peer: connection rate with the big table");
        peerVipBig = (await rates(topo, crrBin.binary)).vip;
      }
      row.peerDeleteMs = await deleteTable(topo, PEER_TABLE);
      fullSync.push(row);
    }

    const c = change!;
    const shares = dist.answers.slice(0, 3).map((n) => n / dist.connections);
    const result = {
      machine,
      params: {
        endpointsPerService: ENDPOINTS,
        seconds: SECONDS,
        reps: REPS,
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
        vip10: rate10.vip,
        direct10: rate10.direct,
        vipBig: rateBig!.vip,
        directBig: rateBig!.direct,
        peerVipBig,
        bigOverSmall: rateBig!.vip / rate10.vip,
        vipOverDirect: rateBig!.vip / rateBig!.direct,
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
    await topo.destroy();
    crrBin.remove();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
