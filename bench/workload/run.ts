/**
 * Workload host benchmark: what N built-in pods cost in one host process. Creates N
 * throwaway namespaces (`flatnet-t<id>-w<i>`, loopback only: nothing is routed anywhere),
 * starts N pods with two ports each (8080/TCP, 8081/UDP) in a WorkloadHost (in-process, or
 * a host-main child over IPC with --ipc), checks every pod answers both ports from inside
 * its own namespace (HTTP /hostname and UDP "hostname" via the probe engine), and reports
 * start time, check time, host RSS and file descriptors, then removes everything.
 *
 *   node dist/bench/workload/run.js [--pods 200,1000] [--ipc]
 * Writes bench/results/workload.json and bench/results/workload.md.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { run } from "../../src/kernel/exec.js";
import { listNetns, netnsPath } from "../../src/kernel/netns.js";
import { WorkloadHost, type WorkloadHostApi } from "../../src/lab/workload/host.js";
import { WorkloadHostClient } from "../../src/lab/workload/host-client.js";
import type { ProbeCheck } from "../../src/lab/workload/probe.js";
import { machineInfo, writeResults } from "../common.js";

interface Result {
  pods: number;
  mode: "in-process" | "ipc";
  startSeconds: number;
  podsPerSecond: number;
  checks: number;
  checksOk: number;
  checkSeconds: number;
  hostRssMiB: number;
  hostRssPerPodKiB: number;
  hostFds: number;
  removeSeconds: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  return kb / 1024;
}

const fds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** Create (or delete) namespaces with one `ip -batch` each way; loopback up in each. */
async function makeNamespaces(names: string[]): Promise<void> {
  await run(["ip", "-batch", "-"], {
    input: names.map((n) => `netns add ${n}\n`).join(""),
    timeoutMs: 600_000,
  });
  await run(["ip", "-batch", "-"], {
    input: names.map((n) => `netns exec ${n} ip link set lo up\n`).join(""),
    timeoutMs: 600_000,
  });
}

async function deleteNamespaces(prefix: string): Promise<void> {
  const names = listNetns(prefix);
  if (names.length)
    await run(["ip", "-batch", "-"], { input: names.map((n) => `netns del ${n}\n`).join("") });
}

async function measure(pods: number, mode: Result["mode"]): Promise<Result> {
  const id = `flatnet-t${randomBytes(3).toString("hex")}`;
  const names = Array.from({ length: pods }, (_, i) => `${id}-w${i}`);
  const logs = mkdtempSync(join(tmpdir(), `${id}-logs-`));
  let host: WorkloadHostApi | undefined;
  try {
    await makeNamespaces(names);
    host = mode === "ipc" ? await WorkloadHostClient.start() : new WorkloadHost();
    const hostPid = host instanceof WorkloadHostClient ? host.pid! : process.pid;
    const baseRss = rssMiB(hostPid);
    const baseFds = fds(hostPid);

    const t0 = performance.now();
    const h = host;
    await Promise.all(
      names.map((ns, i) =>
        h.addPod({
          uid: `${id}-uid-${i}`,
          namespace: "bench",
          name: `web-${i}`,
          netnsName: ns,
          netnsPath: netnsPath(ns),
          podIP: "127.0.0.1",
          containers: [
            { name: "web", ports: [{ containerPort: 8080 }, { containerPort: 8081, protocol: "UDP" }] },
          ],
          logsDir: join(logs, `web-${i}`),
        }),
      ),
    );
    const startSeconds = (performance.now() - t0) / 1000;
    const listed = await host.listPods();
    if (listed.filter((p) => p.ready).length !== pods) throw new Error("not every pod is ready after addPod");

    const checks: ProbeCheck[] = names.flatMap((ns) => [
      { fromNetnsPath: netnsPath(ns), toIp: "127.0.0.1", port: 8080, protocol: "TCP", readHostname: true },
      { fromNetnsPath: netnsPath(ns), toIp: "127.0.0.1", port: 8081, protocol: "UDP" },
    ]);
    const t1 = performance.now();
    const results = await host.probe(checks, { defaultTimeoutMs: 3000 });
    const checkSeconds = (performance.now() - t1) / 1000;
    const checksOk = results.filter((r, i) => r.ok && r.answeredBy === `web-${Math.floor(i / 2)}`).length;

    const rss = rssMiB(hostPid) - (mode === "ipc" ? 0 : baseRss);
    const hostFds = fds(hostPid) - baseFds;
    const t2 = performance.now();
    await Promise.all(listed.map((p) => h.removePod(p.uid)));
    const removeSeconds = (performance.now() - t2) / 1000;
    return {
      pods,
      mode,
      startSeconds: Number(startSeconds.toFixed(3)),
      podsPerSecond: Math.round(pods / startSeconds),
      checks: checks.length,
      checksOk,
      checkSeconds: Number(checkSeconds.toFixed(3)),
      hostRssMiB: Number(rss.toFixed(1)),
      hostRssPerPodKiB: Number(((rss * 1024) / pods).toFixed(1)),
      hostFds,
      removeSeconds: Number(removeSeconds.toFixed(3)),
    };
  } finally {
    await host?.shutdown().catch(() => {});
    await deleteNamespaces(id);
    rmSync(logs, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const sizes = (arg("pods") ?? "200,1000").split(",").map(Number);
  const mode: Result["mode"] = process.argv.includes("--ipc") ? "ipc" : "in-process";
  const results: Result[] = [];
  for (const n of sizes) {
    results.push(await measure(n, mode));
    console.error(JSON.stringify(results.at(-1)));
  }
  const rows = results.map(
    (r) =>
      `| ${r.pods} | ${r.mode} | ${r.startSeconds} | ${r.podsPerSecond} | ${r.checksOk}/${r.checks} in ${r.checkSeconds} s | ${r.hostRssMiB} | ${r.hostRssPerPodKiB} | ${r.hostFds} | ${r.removeSeconds} |`,
  );
  const body = [
    "Built-in pods (2 ports each: 8080/TCP HTTP, 8081/UDP) in one workload host process.",
    "RSS: in-process = growth of the process; ipc = the whole host-main process.",
    "",
    "| pods | mode | start (s) | pods/s | answered (HTTP /hostname + UDP) | host RSS (MiB) | RSS/pod (KiB) | fds | remove (s) |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
  writeResults(
    mode === "ipc" ? "workload-ipc" : "workload",
    { machine: machineInfo(), results },
    "Workload host",
    body,
  );
}

await main();
