/**
 * Datapath benchmark: does flatnet's pod network cost anything against the same kernel path
 * built by hand? For four paths (pod to pod on one node, on a host-gw and on a vxlan node;
 * across nodes with vxlan; across nodes with host-gw) it measures TCP throughput (iperf3) and TCP request/response rate
 * (rr.c) on a lab whose pod network was made by flatnet's backend and applier, and on a lab
 * made by hand with plain ip commands and kernel defaults (hand-built.ts), in the same run.
 * Each measurement runs as a pair, hand and flatnet back to back in alternating order, so the
 * drift of a shared machine hits both sides alike; the ratio is the median over pairs of
 * flatnet / hand. Goal: >= 0.95 for each.
 *
 *   node dist/bench/datapath/run.js            (root; after `npm run build`)
 *   FLATNET_BENCH_SECONDS=3 FLATNET_BENCH_REPS=13 override the defaults: many short pairs
 *   cancel the drift of a shared machine better than a few long runs.
 * Writes bench/results/datapath.json and bench/results/datapath.md.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { podMTU } from "../../src/backends/index.js";
import { MiniLab, type MiniPod } from "../../test/helpers/minilab.js";
import { ProcessGroup } from "../../test/helpers/nsproc.js";
import { ping } from "../../test/helpers/traffic.js";
import { configDiff } from "./config-diff.js";
import { handBuildHostGw, handBuildVxlan } from "./hand-built.js";
import { buildRr, machineInfo, median, requestResponse, startServers, throughput } from "./measure.js";
import { type BenchRow, renderMarkdown } from "./report.js";

const GOAL = 0.95;
const SECONDS = Number(process.env.FLATNET_BENCH_SECONDS ?? 3);
const REPS = Number(process.env.FLATNET_BENCH_REPS ?? 13);

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the repository root (package.json)");
    dir = up;
  }
  return dir;
}

interface Endpoint {
  lab: MiniLab;
  from: MiniPod;
  to: MiniPod;
}

interface PathUnderTest {
  name: string;
  hand: Endpoint;
  flatnet: Endpoint;
}

function podsOf(lab: MiniLab, from: [number, number], to: [number, number]): Endpoint {
  return { lab, from: lab.nodes[from[0]]!.pods[from[1]]!, to: lab.nodes[to[0]]!.pods[to[1]]! };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error("the datapath benchmark creates network namespaces: run it as root");
  const root = repoRoot();
  const procs = new ProcessGroup();
  const labs: MiniLab[] = [];
  const rr = buildRr(join(root, "bench", "datapath", "rr.c"));
  const cleanup = async () => {
    await procs.stopAll();
    for (const lab of labs) await lab.destroy();
    rr.remove();
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));
  try {
    const newLab = async (podMtu: number) => {
      const lab = await MiniLab.create({ nodes: 2, podsPerNode: 2, podMTU: podMtu, strictRpFilter: false });
      labs.push(lab);
      return lab;
    };
    const handHostGw = await newLab(1500);
    await handBuildHostGw(handHostGw);
    const handVxlan = await newLab(1450);
    await handBuildVxlan(handVxlan);
    const flatHostGw = await newLab(podMTU("host-gw", 1500));
    await flatHostGw.applyBackend("host-gw");
    const flatVxlan = await newLab(podMTU("vxlan", 1500));
    await flatVxlan.applyBackend("vxlan");

    const paths: PathUnderTest[] = [
      // One node's path depends on its backend only through the pod MTU (1500 with host-gw,
      // 1450 with vxlan, whose cross-node packets carry 50 bytes of encapsulation): each is
      // compared with the hand-built node of the same MTU.
      {
        name: "pod to pod, same node, host-gw node",
        hand: podsOf(handHostGw, [0, 0], [0, 1]),
        flatnet: podsOf(flatHostGw, [0, 0], [0, 1]),
      },
      {
        name: "pod to pod, same node, vxlan node",
        hand: podsOf(handVxlan, [0, 0], [0, 1]),
        flatnet: podsOf(flatVxlan, [0, 0], [0, 1]),
      },
      {
        name: "pod to pod, across nodes, vxlan",
        hand: podsOf(handVxlan, [0, 0], [1, 0]),
        flatnet: podsOf(flatVxlan, [0, 0], [1, 0]),
      },
      {
        name: "pod to pod, across nodes, host-gw",
        hand: podsOf(handHostGw, [0, 0], [1, 0]),
        flatnet: podsOf(flatHostGw, [0, 0], [1, 0]),
      },
    ];
    for (const lab of labs)
      for (const pod of [lab.nodes[0]!.pods[1]!, lab.nodes[1]!.pods[0]!])
        await startServers(procs, pod.ns, rr.binary);
    for (const p of paths) {
      for (const e of [p.hand, p.flatnet]) {
        if (!(await ping(e.from.ns, e.to.ip)))
          throw new Error(`${p.name}: ${e.from.ns} cannot reach ${e.to.ip}`);
      }
    }
    const differences: Record<string, string[]> = {};
    for (const p of paths) {
      const { hand, flatnet } = p;
      const lines: string[] = [];
      for (const end of ["from", "to"] as const) {
        const [h, f] = [hand[end], flatnet[end]];
        lines.push(...(await configDiff(`${end} pod`, h.ns, f.ns)));
        const [hn, fn] = [hand.lab.node(h.node), flatnet.lab.node(f.node)];
        if (end === "from" || hn !== hand.lab.node(hand.from.node)) {
          lines.push(...(await configDiff(`${end === "from" ? "sending" : "receiving"} node`, hn.ns, fn.ns)));
        }
      }
      differences[p.name] = lines;
    }

    const samples = new Map<string, { hand: number[]; flatnet: number[] }>();
    const record = (key: string, which: "hand" | "flatnet", v: number) => {
      const s = samples.get(key) ?? { hand: [], flatnet: [] };
      s[which].push(v);
      samples.set(key, s);
    };
    const measure = async (metric: "throughput" | "rr", e: Endpoint): Promise<number> =>
      metric === "throughput"
        ? (await throughput(e.from.ns, e.to.ip, SECONDS)) / 1e9
        : await requestResponse(e.from.ns, rr.binary, e.to.ip, SECONDS);
    for (let rep = 0; rep < REPS; rep++) {
      // Each pair runs back to back, in alternating order, so slow drift hits both alike.
      const order: ("hand" | "flatnet")[] = rep % 2 === 0 ? ["hand", "flatnet"] : ["flatnet", "hand"];
      for (const p of paths) {
        for (const metric of ["throughput", "rr"] as const) {
          for (const which of order) {
            const v = await measure(metric, p[which]);
            record(`${p.name}|${metric}`, which, v);
            console.error(
              `rep ${rep + 1}/${REPS} ${p.name} ${metric} [${which}]: ${v.toFixed(metric === "rr" ? 0 : 2)}`,
            );
          }
        }
      }
    }

    const rows: BenchRow[] = [...samples].map(([key, s]) => {
      const [path, metric] = key.split("|") as [string, "throughput" | "rr"];
      const pairRatios = s.flatnet.map((v, i) => v / s.hand[i]!);
      const ratio = median(pairRatios);
      return {
        path,
        metric,
        unit: metric === "throughput" ? "Gbit/s" : "transactions/s",
        hand: s.hand,
        flatnet: s.flatnet,
        handMedian: median(s.hand),
        flatnetMedian: median(s.flatnet),
        pairRatios,
        ratio,
        meetsGoal: ratio >= GOAL,
      };
    });
    const iperfVersion = execFileSync("iperf3", ["--version"], { encoding: "utf8" }).split("\n")[0]!.trim();
    const result = {
      date: new Date().toISOString(),
      machine: machineInfo(),
      settings: {
        secondsPerRun: SECONDS,
        repetitions: REPS,
        throughputTool: `${iperfVersion}, one TCP stream, receiver's rate`,
        requestResponseTool: "bench/datapath/rr.c: 1-byte TCP ping-pong (TCP_RR-style), one connection",
        baseline:
          "same namespaces and bridges; cross-node path made by hand with ip/bridge and kernel defaults",
        flatnet:
          "same node: flatnet's host-gw and vxlan nodes (pod MTU 1500 and 1450, backend sysctls) against hand-built nodes of the same MTU; cross-node: the backend's desired state reconciled by flatnet's applier",
      },
      goal: GOAL,
      results: rows,
      configurationDifferences: differences,
    };
    const outDir = join(root, "bench", "results");
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, "datapath.json"), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(outDir, "datapath.md"), renderMarkdown(result));
    console.log(renderMarkdown(result));
  } finally {
    await cleanup();
  }
}

main().catch((err) => {
  console.error(`datapath benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
