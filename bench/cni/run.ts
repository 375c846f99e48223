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
 * every variant, rotating the order) so machine load hits all variants alike. The whole
 * comparison runs twice: with every variant's IPAM directory on the disk-backed temporary
 * directory, and on tmpfs (/dev/shm, what /run is on most hosts): flatnet-ipam fsyncs each
 * allocation for crash safety, host-local does not, so the filesystem decides part of the
 * gap. Also measured: the bin/ sh wrapper's cost (a fast-path VERSION through bin/flatnet-cni
 * vs the shim itself).
 *
 * Run: `node dist/bench/cni/run.js [--pods N]`. Writes bench/results/cni.{json,md}.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
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

interface Variant {
  key: "reference" | "fast" | "slow";
  label: string;
  plugin: string;
  config: object;
  pods: string[];
  add: number[];
  del: number[];
}

type Stats = ReturnType<typeof stats>;

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

function fsType(dir: string): string {
  try {
    return execFileSync("findmnt", ["-n", "-o", "FSTYPE", "--target", dir], { encoding: "utf8" })
      .split("\n")[0]!
      .trim();
  } catch {
    return "unknown";
  }
}

interface Round {
  ipamDir: string;
  filesystem: string;
  results: Record<Variant["key"], { label: string; add: Stats; del: Stats }>;
  ratios: Record<"fast" | "slow", { addP50: number; addP95: number; delP50: number; delP95: number }>;
}

/** One full comparison: every variant ADDs then DELs PODS pods, interleaved. */
async function round(
  host: string,
  id: string,
  tag: string,
  ipamBase: string,
  socketPath: string,
): Promise<Round> {
  const ipamRoot = mkdtempSync(join(ipamBase, `flatnet-t${id}-${tag}-`));
  const ipam = (n: number, type: string) => ({
    type,
    dataDir: join(ipamRoot, `ipam-${n}`),
    ranges: [[{ subnet: `10.250.${n}.0/24` }]],
  });
  const bridgeFields = { isGateway: true, isDefaultGateway: true, hairpinMode: true };
  const variant = (key: Variant["key"], label: string, plugin: string, config: object): Variant => ({
    key,
    label,
    plugin,
    config,
    pods: [],
    add: [],
    del: [],
  });
  const flatnetCni = join(flatnetBinDir(), "flatnet-cni");
  const variants = [
    variant("reference", "reference bridge + host-local", join(REFERENCE_CNI_DIR, "bridge"), {
      cniVersion: "1.0.0",
      name: "benchref",
      type: "bridge",
      bridge: `fnb${tag}0`,
      ...bridgeFields,
      ipam: ipam(1, "host-local"),
    }),
    variant("fast", "flatnet-cni via resident agent (fast path)", flatnetCni, {
      cniVersion: "1.1.0",
      name: "benchfast",
      type: "flatnet-cni",
      bridge: `fnb${tag}1`,
      agentSocket: socketPath,
      ...bridgeFields,
      ipam: ipam(2, "flatnet-ipam"),
    }),
    variant("slow", "flatnet-cni standalone (Node per call)", flatnetCni, {
      cniVersion: "1.1.0",
      name: "benchslow",
      type: "flatnet-cni",
      bridge: `fnb${tag}2`,
      ...bridgeFields,
      ipam: ipam(3, "flatnet-ipam"),
    }),
  ];
  const made: string[] = [];
  try {
    for (const [vi, v] of variants.entries()) {
      for (let i = 0; i < PODS; i++) {
        const ns = `flatnet-t${id}-${tag}${vi}p${i}`;
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
  } finally {
    for (const ns of made.reverse()) await deleteNetns(ns).catch(() => {});
    await deleteBridges(
      host,
      variants.map((v) => (v.config as { bridge: string }).bridge),
    );
    rmSync(ipamRoot, { recursive: true, force: true });
  }
  const results = Object.fromEntries(
    variants.map((v) => [v.key, { label: v.label, add: stats(v.add), del: stats(v.del) }]),
  ) as Round["results"];
  const ref = results.reference;
  const ratio = (x: number, y: number) => Number((x / y).toFixed(3));
  const ratiosFor = (k: "fast" | "slow") => ({
    addP50: ratio(results[k].add.p50, ref.add.p50),
    addP95: ratio(results[k].add.p95, ref.add.p95),
    delP50: ratio(results[k].del.p50, ref.del.p50),
    delP95: ratio(results[k].del.p95, ref.del.p95),
  });
  return {
    ipamDir: ipamBase.startsWith(tmpdir()) ? tmpdir() : ipamBase,
    filesystem: fsType(ipamBase),
    results,
    ratios: { fast: ratiosFor("fast"), slow: ratiosFor("slow") },
  };
}

async function deleteBridges(host: string, bridges: string[]): Promise<void> {
  for (const b of bridges) {
    try {
      execFileSync("ip", ["-n", host, "link", "del", b], { stdio: "ignore" });
    } catch {
      /* never created */
    }
  }
}

function table(r: Round): string {
  const fmt = (x: number | undefined) => (x === undefined ? "1.000" : x.toFixed(3));
  const rows = (["reference", "fast", "slow"] as const).map((k) => {
    const s = r.results[k];
    const q = k === "reference" ? undefined : r.ratios[k];
    return `| ${s.label} | ${s.add.p50} | ${s.add.p95} | ${fmt(q?.addP50)} | ${s.del.p50} | ${s.del.p95} | ${fmt(q?.delP50)} |`;
  });
  return [
    "| variant | ADD p50 | ADD p95 | ADD p50 / ref | DEL p50 | DEL p95 | DEL p50 / ref |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
  ].join("\n");
}

async function main() {
  const id = testId();
  const host = `flatnet-t${id}-bench`;
  const work = mkdtempSync(join(tmpdir(), `flatnet-t${id}-`));
  const socketPath = join(work, "cni.sock");
  await createNetns(host);
  const server = await startCniServer({ socketPath, hostNetns: host });
  const rounds: Round[] = [];
  const loadBefore = loadavg()[0]!;
  const wrapper = { viaWrapper: [] as number[], shimDirect: [] as number[] };
  try {
    rounds.push(await round(host, id, "d", work, socketPath));
    if (existsSync("/dev/shm")) rounds.push(await round(host, id, "m", "/dev/shm", socketPath));
    // The wrapper's cost: the same fast-path request through bin/flatnet-cni and the shim
    // itself (linked under the plugin's name: the shim takes its name from argv[0]).
    const shimLink = join(work, "flatnet-cni");
    symlinkSync(join(repoRoot(), "build", "cni_shim"), shimLink);
    const versionCall = (plugin: string): PluginCall => ({
      plugin,
      command: "VERSION",
      hostNetns: host,
      config: { cniVersion: "1.1.0", agentSocket: socketPath },
    });
    for (let i = 0; i < 200; i++) {
      wrapper.viaWrapper.push((await callPlugin(versionCall(join(flatnetBinDir(), "flatnet-cni")))).ms);
      wrapper.shimDirect.push((await callPlugin(versionCall(shimLink))).ms);
    }
  } finally {
    await server.close();
    await deleteNetns(host).catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }

  const machine = machineInfo();
  const wrapperStats = { viaWrapper: stats(wrapper.viaWrapper), shimDirect: stats(wrapper.shimDirect) };
  const load = { before: Number(loadBefore.toFixed(2)), after: Number(loadavg()[0]!.toFixed(2)) };
  const data = {
    machine,
    load,
    pods: PODS,
    unit: "ms",
    goal: "ADD p50 <= 1.0x reference",
    rounds,
    wrapper: wrapperStats,
  };
  const sections = rounds.map((r) => {
    const verdict = r.ratios.fast.addP50 <= 1 ? "met" : "missed";
    return [
      `### IPAM state on ${r.filesystem} (${r.ipamDir})`,
      "",
      table(r),
      "",
      `Goal ADD p50 <= 1.0x the reference: fast path ${r.ratios.fast.addP50.toFixed(3)}x (${verdict}).`,
    ].join("\n");
  });
  const body = [
    `${PODS} pods per variant, each plugin exec'd as a runtime does (\`ip netns exec <node> plugin\`), calls interleaved across variants. Times in ms, wall clock per call including the exec. Load average (1 min) ${load.before} before, ${load.after} after: the machine is shared, so absolute times vary between runs, the ratios less.`,
    "",
    ...sections.flatMap((s) => [s, ""]),
    `bin/ wrapper cost (fast-path VERSION, p50): via bin/flatnet-cni ${wrapperStats.viaWrapper.p50} ms, build/cni_shim directly ${wrapperStats.shimDirect.p50} ms.`,
  ].join("\n");
  writeResults("cni", data, "CNI plugin latency: flatnet vs reference bridge + host-local", body);
}

await main();
