/**
 * CNI ADD/DEL latency: flatnet's plugin against the reference bridge + host-local, same run,
 * same machine, each plugin exec'd as a runtime execs it (`ip netns exec <node> plugin`, env +
 * stdin) inside a bench "node" netns. Variants:
 *
 *   reference     /usr/lib/cni/bridge with /usr/lib/cni/host-local
 *   flatnet fast  bin/flatnet-cni with agentSocket: the shim hands the request to a resident
 *                 agent (startCniServer in this process, serving the bench node netns)
 *   flatnet slow  bin/flatnet-cni without agent: the shim starts Node for every call
 *
 * Each variant has its own bridge, subnet and pod namespaces. Calls are interleaved (pod i of
 * every variant, rotating the order) so machine load hits all variants alike. Also measured:
 * the cost of the bin/ sh wrapper (a fast-path VERSION through bin/flatnet-cni vs the shim
 * itself). Run: `node dist/bench/cni/run.js [--pods N]`. Writes bench/results/cni.{json,md}.
 */
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCniServer } from "../../src/cni/agent-server.js";
import { createNetns, deleteNetns } from "../../src/kernel/netns.js";
import {
  callPlugin,
  flatnetBinDir,
  type PluginCall,
  REFERENCE_CNI_DIR,
  repoRoot,
  testId,
} from "../../test/helpers/cni.js";
import { machineInfo, writeResults } from "../common.js";

const podsArg = process.argv.indexOf("--pods");
const PODS = podsArg > 0 ? Number(process.argv[podsArg + 1]) : 100;
const ipamArg = process.argv.indexOf("--ipam-dir");
/** Where both variants keep IPAM state (default: the bench's temporary directory). */
const IPAM_BASE = ipamArg > 0 ? process.argv[ipamArg + 1] : undefined;

interface Variant {
  key: string;
  label: string;
  plugin: string;
  config: object;
  pods: string[];
  add: number[];
  del: number[];
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const round = (x: number) => Number(x.toFixed(2));
  return {
    n: s.length,
    p50: round(q(0.5)),
    p95: round(q(0.95)),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

async function main() {
  const id = testId();
  const host = `flatnet-t${id}-bench`;
  const work = mkdtempSync(join(tmpdir(), `flatnet-t${id}-`));
  const socketPath = join(work, "cni.sock");
  const ipamBase = IPAM_BASE ? mkdtempSync(join(IPAM_BASE, `flatnet-t${id}-`)) : work;
  const variants: Variant[] = [];
  const ipam = (n: number, type: string) => ({
    type,
    dataDir: join(ipamBase, `ipam-${n}`),
    ranges: [[{ subnet: `10.250.${n}.0/24` }]],
  });
  const bridgeFields = { isGateway: true, isDefaultGateway: true, hairpinMode: true };
  const mk = (key: string, label: string, plugin: string, config: object): Variant => ({
    key,
    label,
    plugin,
    config,
    pods: [],
    add: [],
    del: [],
  });
  variants.push(
    mk("reference", "reference bridge + host-local", join(REFERENCE_CNI_DIR, "bridge"), {
      cniVersion: "1.0.0",
      name: "benchref",
      type: "bridge",
      bridge: "fnbench0",
      ...bridgeFields,
      ipam: ipam(1, "host-local"),
    }),
    mk("fast", "flatnet-cni via resident agent (fast path)", join(flatnetBinDir(), "flatnet-cni"), {
      cniVersion: "1.1.0",
      name: "benchfast",
      type: "flatnet-cni",
      bridge: "fnbench1",
      agentSocket: socketPath,
      ...bridgeFields,
      ipam: ipam(2, "flatnet-ipam"),
    }),
    mk("slow", "flatnet-cni standalone (Node per call)", join(flatnetBinDir(), "flatnet-cni"), {
      cniVersion: "1.1.0",
      name: "benchslow",
      type: "flatnet-cni",
      bridge: "fnbench2",
      ...bridgeFields,
      ipam: ipam(3, "flatnet-ipam"),
    }),
  );
  const made: string[] = [];
  const server = await (async () => {
    await createNetns(host);
    made.push(host);
    return startCniServer({ socketPath, hostNetns: host });
  })();
  const wrapper = { viaWrapper: [] as number[], shimDirect: [] as number[] };
  try {
    for (const [vi, v] of variants.entries()) {
      for (let i = 0; i < PODS; i++) {
        const ns = `flatnet-t${id}-v${vi}p${i}`;
        await createNetns(ns);
        made.push(ns);
        v.pods.push(ns);
      }
    }
    const call = (v: Variant, i: number, command: "ADD" | "DEL"): PluginCall => ({
      plugin: v.plugin,
      command,
      hostNetns: host,
      config: v.config,
      containerId: `bench-${v.key}-${i}`,
      netns: `/run/netns/${v.pods[i]}`,
      ifname: "eth0",
      cniPath: [flatnetBinDir(), REFERENCE_CNI_DIR],
    });
    for (const command of ["ADD", "DEL"] as const) {
      for (let i = 0; i < PODS; i++) {
        for (let k = 0; k < variants.length; k++) {
          const v = variants[(i + k) % variants.length]!;
          const out = await callPlugin(call(v, i, command));
          if (out.code !== 0) throw new Error(`${v.label} ${command} pod ${i}: ${out.stdout} ${out.stderr}`);
          (command === "ADD" ? v.add : v.del).push(out.ms);
        }
      }
    }
    // The wrapper's cost: the same fast-path request through bin/flatnet-cni and build/cni_shim.
    const versionCall = (plugin: string): PluginCall => ({
      plugin,
      command: "VERSION",
      hostNetns: host,
      config: { cniVersion: "1.1.0", agentSocket: socketPath },
    });
    // The shim takes its plugin name from argv[0] when run directly: link it under that name.
    const shimLink = join(work, "flatnet-cni");
    symlinkSync(join(repoRoot(), "build", "cni_shim"), shimLink);
    for (let i = 0; i < 50; i++) {
      wrapper.viaWrapper.push((await callPlugin(versionCall(join(flatnetBinDir(), "flatnet-cni")))).ms);
      wrapper.shimDirect.push((await callPlugin(versionCall(shimLink))).ms);
    }
  } finally {
    await server.close();
    for (const ns of made.reverse()) await deleteNetns(ns).catch(() => {});
    rmSync(work, { recursive: true, force: true });
    rmSync(ipamBase, { recursive: true, force: true });
  }

  const machine = machineInfo();
  const results = Object.fromEntries(
    variants.map((v) => [v.key, { label: v.label, add: stats(v.add), del: stats(v.del) }]),
  ) as Record<string, { label: string; add: ReturnType<typeof stats>; del: ReturnType<typeof stats> }>;
  const ref = results.reference!;
  const ratio = (x: number, y: number) => Number((x / y).toFixed(3));
  const ratios = Object.fromEntries(
    variants
      .filter((v) => v.key !== "reference")
      .map((v) => {
        const r = results[v.key]!;
        return [
          v.key,
          {
            addP50: ratio(r.add.p50, ref.add.p50),
            addP95: ratio(r.add.p95, ref.add.p95),
            delP50: ratio(r.del.p50, ref.del.p50),
            delP95: ratio(r.del.p95, ref.del.p95),
          },
        ];
      }),
  );
  const wrapperStats = { viaWrapper: stats(wrapper.viaWrapper), shimDirect: stats(wrapper.shimDirect) };
  const data = {
    machine,
    pods: PODS,
    unit: "ms",
    goal: "ADD p50 <= 1.0x reference",
    results,
    ratios,
    wrapper: wrapperStats,
  };

  const rows = variants.map((v) => {
    const r = results[v.key]!;
    const q = ratios[v.key];
    const fmt = (x: number | undefined) => (x === undefined ? "1.000" : x.toFixed(3));
    return `| ${r.label} | ${r.add.p50} | ${r.add.p95} | ${fmt(q?.addP50)} | ${r.del.p50} | ${r.del.p95} | ${fmt(q?.delP50)} |`;
  });
  const fast = ratios.fast!;
  const body = [
    `${PODS} pods per variant, each plugin exec'd as a runtime does (\`ip netns exec <node> plugin\`), calls interleaved across variants. Times in ms, wall clock per call including the exec.`,
    "",
    "| variant | ADD p50 | ADD p95 | ADD p50 / ref | DEL p50 | DEL p95 | DEL p50 / ref |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
    `Goal ADD p50 <= 1.0x the reference: fast path ${fast.addP50.toFixed(3)}x (${fast.addP50 <= 1 ? "met" : "missed"}).`,
    "",
    `bin/ wrapper cost (fast-path VERSION, p50): via bin/flatnet-cni ${wrapperStats.viaWrapper.p50} ms, build/cni_shim directly ${wrapperStats.shimDirect.p50} ms.`,
  ].join("\n");
  writeResults("cni", data, "CNI plugin latency: flatnet vs reference bridge + host-local", body);
}

await main();
