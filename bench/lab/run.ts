/**
 * Lab bring-up benchmark (issue 3): time from `flatnet up` to every pod Running with an IP,
 * and the memory of the whole lab, for 3 nodes x 10 pods and 20 nodes x 50 pods.
 * Memory = RSS of every lab process (daemon, workload host, plugins, pods' commands: the
 * daemon's process group) plus the kernel side, read as the drop of MemAvailable.
 *
 *   node dist/bench/lab/run.js [--sizes 3x10,20x50]
 * Writes bench/results/lab.json and bench/results/lab.md.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../test/helpers/cli.js";
import { machineInfo, writeResults } from "../common.js";

interface Size {
  nodes: number;
  podsPerNode: number;
}

function manifests(size: Size, lab: string): string {
  const nodes = Array.from({ length: size.nodes }, (_, i) => `  - name: node-${i + 1}`).join("\n");
  return `apiVersion: flatnet.dev/v1alpha1
kind: Cluster
name: ${lab}
nodes:
${nodes}
networking:
  backend: vxlan
---
apiVersion: v1
kind: Namespace
metadata: { name: bench }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: bench }
spec:
  replicas: ${size.nodes * size.podsPerNode}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: agnhost
          ports: [{ containerPort: 8080 }, { containerPort: 8081, protocol: UDP }]
`;
}

function memAvailableKiB(): number {
  const m = /MemAvailable:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"));
  return Number(m?.[1] ?? 0);
}

function groupRssKiB(pgid: number): number {
  const out = spawnSync("ps", ["-o", "rss=", "-g", String(pgid)], { encoding: "utf8" }).stdout;
  return out
    .split("\n")
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isFinite(n))
    .reduce((a, b) => a + b, 0);
}

function run(size: Size) {
  const lab = `bench${size.nodes}x${size.podsPerNode}`;
  const dir = mkdtempSync(join(tmpdir(), "flatnet-bench-"));
  const cli = join(repoRoot(), "bin", "flatnet.js");
  try {
    writeFileSync(join(dir, "lab.yaml"), manifests(size, lab));
    const memBefore = memAvailableKiB();
    const t0 = process.hrtime.bigint();
    execFileSync(process.execPath, [cli, "up", "-f", dir, "--timeout", "600"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const pid = Number(readFileSync(`/run/flatnet/labs/${lab}/daemon.pid`, "utf8"));
    const rss = groupRssKiB(pid);
    const kernelAndAll = memBefore - memAvailableKiB();
    const pods = JSON.parse(
      execFileSync(process.execPath, [cli, "get", "pods", "-A", "-o", "json", "--name", lab], {
        encoding: "utf8",
        maxBuffer: 1 << 28,
      }),
    ).items as Array<{ status?: { phase?: string; podIP?: string } }>;
    const running = pods.filter((p) => p.status?.phase === "Running" && p.status.podIP).length;
    return {
      nodes: size.nodes,
      pods: size.nodes * size.podsPerNode,
      running,
      upSeconds: Number(seconds.toFixed(2)),
      processRssMiB: Number((rss / 1024).toFixed(1)),
      memAvailableDropMiB: Number((kernelAndAll / 1024).toFixed(1)),
    };
  } finally {
    spawnSync(process.execPath, [cli, "down", "--name", lab], { stdio: "inherit" });
    rmSync(dir, { recursive: true, force: true });
  }
}

const arg = process.argv.indexOf("--sizes");
const sizes: Size[] = (arg > 0 ? process.argv[arg + 1]! : "3x10,20x50").split(",").map((s) => {
  const [n, p] = s.split("x").map(Number);
  return { nodes: n!, podsPerNode: p! };
});
const results = sizes.map(run);
const md = [
  "| nodes | pods | running | up (s) | lab processes RSS (MiB) | MemAvailable drop (MiB) |",
  "|---|---|---|---|---|---|",
  ...results.map(
    (r) =>
      `| ${r.nodes} | ${r.pods} | ${r.running} | ${r.upSeconds} | ${r.processRssMiB} | ${r.memAvailableDropMiB} |`,
  ),
  "",
  "Goal (issue 3): 1,000 pods Ready in <= 60 s with <= 4 GiB for the whole lab.",
].join("\n");
writeResults("lab", { machine: machineInfo(), results }, "Lab bring-up", md);
