/**
 * Ingress benchmark: wrk through flatnet's ingress proxy vs, in the same run, a minimal
 * Node.js keep-alive proxy (minimal-proxy.ts) and nginx configured by hand with the same
 * route, all in front of the same upstream (nginx returning 3 bytes), on 127.0.91.0/24.
 * Each round runs the minimal proxy and flatnet back to back (alternating which goes first),
 * then the others in rotation (REPS rounds, medians), so the shared machine's load hits all
 * alike; each run also records the proxy's CPU time per request. HTTPS
 * (keep-alive, so one handshake per connection) compares flatnet with nginx.
 *
 *   node dist/bench/ingress/run.js      (after `npm run build`; needs wrk and nginx)
 *   FLATNET_BENCH_SECONDS=4 FLATNET_BENCH_REPS=9 FLATNET_BENCH_CONNECTIONS=32 override defaults.
 * Writes bench/results/ingress.json and bench/results/ingress.md.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { selfSignedCert } from "../../src/ingress/certs.js";
import { machineInfo, writeResults } from "../common.js";
import { ADDR, type Proc, startProc, writeNginxConfigs } from "./peers.js";
import { report, type TargetResult } from "./report.js";
import { cpuSeconds, type WrkResult, wrk } from "./wrk.js";

const SECONDS = Number(process.env.FLATNET_BENCH_SECONDS ?? 4);
const REPS = Number(process.env.FLATNET_BENCH_REPS ?? 9);
const CONNECTIONS = Number(process.env.FLATNET_BENCH_CONNECTIONS ?? 32);
const here = dirname(fileURLToPath(import.meta.url));

interface Target {
  name: string;
  url: string;
  /** Processes whose CPU is the proxy's (none for the direct run). */
  procs: () => Proc[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "flatnet-bench-ingress-"));
  const procs: Proc[] = [];
  try {
    const cert = await selfSignedCert("bench.example", ["bench.example"]);
    const conf = writeNginxConfigs(dir, cert);
    const nginx = (name: string, file: string) =>
      startProc(name, "nginx", ["-p", dir, "-c", file, "-g", "daemon off;"]);
    const backend = await nginx("nginx-upstream", conf.backend);
    procs.push(backend);
    const nginxProxy = await nginx("nginx", conf.proxy);
    procs.push(nginxProxy);
    const b = ADDR.backend;
    const minimal = await startProc(
      "minimal",
      process.execPath,
      [join(here, "minimal-proxy.js"), ADDR.minimal.host, String(ADDR.minimal.port), b.host, String(b.port)],
      "ready",
    );
    procs.push(minimal);
    const f = ADDR.flatnet;
    const flatnet = await startProc(
      "flatnet",
      process.execPath,
      [join(here, "flatnet-proxy.js"), f.host, String(f.port), "0", b.host, String(b.port)],
      "ready",
    );
    procs.push(flatnet);
    // HTTPS through a second flatnet process, as the add-on serves HTTPS from a worker thread
    // (its own V8 isolate): one isolate serving both runs HTTP ~10% slower (inline caches and
    // Node's stream code see two socket classes). That second process's HTTP port shows it.
    const flatnetTls = await startProc(
      "flatnet-tls",
      process.execPath,
      [
        join(here, "flatnet-proxy.js"),
        f.host,
        String(f.mixedPort),
        String(f.tlsPort),
        b.host,
        String(b.port),
      ],
      "ready",
    );
    procs.push(flatnetTls);

    const path = "/api/items?id=1";
    const targets: Target[] = [
      { name: "direct (no proxy)", url: `http://${b.host}:${b.port}${path}`, procs: () => [] },
      {
        name: "minimal Node.js proxy",
        url: `http://${ADDR.minimal.host}:${ADDR.minimal.port}${path}`,
        procs: () => [minimal],
      },
      { name: "flatnet ingress", url: `http://${f.host}:${f.port}${path}`, procs: () => [flatnet] },
      {
        name: "nginx",
        url: `http://${ADDR.nginx.host}:${ADDR.nginx.port}${path}`,
        procs: () => [nginxProxy],
      },
      {
        name: "flatnet ingress (https)",
        url: `https://${f.host}:${f.tlsPort}${path}`,
        procs: () => [flatnetTls],
      },
      {
        name: "flatnet ingress (http, one thread also serving https)",
        url: `http://${f.host}:${f.mixedPort}${path}`,
        procs: () => [flatnetTls],
      },
      {
        name: "nginx (https)",
        url: `https://${ADDR.nginx.host}:${ADDR.nginx.tlsPort}${path}`,
        procs: () => [nginxProxy],
      },
    ];
    const runs = new Map<string, Array<WrkResult & { cpuUsPerRequest: number }>>();
    for (const t of targets) {
      const w = await wrk(t.url, { seconds: 2, connections: CONNECTIONS, host: "bench.example" });
      if (w.errors || !(w.rps > 0))
        throw new Error(`${t.name}: warm-up failed (${w.errors} errors, ${w.rps} req/s)`);
    }
    for (let rep = 0; rep < REPS; rep++) {
      // The pair the goal is about runs back to back, in alternating order; the rest rotate.
      const pair = targets.filter((t) => t.name === "minimal Node.js proxy" || t.name === "flatnet ingress");
      const rest = targets.filter((t) => !pair.includes(t));
      const order = [
        ...(rep % 2 ? pair.reverse() : pair),
        ...rest.map((_, i) => rest[(i + rep) % rest.length]!),
      ];
      for (const t of order) {
        const pids = t.procs().map((p) => p.child.pid!);
        const cpu0 = cpuSeconds(pids);
        const w = await wrk(t.url, { seconds: SECONDS, connections: CONNECTIONS, host: "bench.example" });
        const cpu = cpuSeconds(pids) - cpu0;
        const r = { ...w, cpuUsPerRequest: pids.length && w.requests ? (cpu / w.requests) * 1e6 : 0 };
        runs.set(t.name, [...(runs.get(t.name) ?? []), r]);
        process.stderr.write(
          `rep ${rep + 1}/${REPS} ${t.name}: ${w.rps.toFixed(0)} req/s, p99 ${w.latencyP99Ms} ms, ${r.cpuUsPerRequest.toFixed(1)} us CPU/req, ${w.errors} errors\n`,
        );
      }
    }
    const results: TargetResult[] = targets.map((t) => {
      const rs = runs.get(t.name)!;
      return {
        name: t.name,
        rps: median(rs.map((r) => r.rps)),
        latencyP50Ms: median(rs.map((r) => r.latencyP50Ms)),
        latencyP99Ms: median(rs.map((r) => r.latencyP99Ms)),
        cpuUsPerRequest: median(rs.map((r) => r.cpuUsPerRequest)),
        errors: rs.reduce((n, r) => n + r.errors, 0),
        runs: rs,
      };
    });
    const machine = machineInfo();
    const { summary, markdown } = report(results, { seconds: SECONDS, reps: REPS, connections: CONNECTIONS });
    writeResults(
      "ingress",
      {
        machine,
        config: { seconds: SECONDS, reps: REPS, connections: CONNECTIONS, path, bodyBytes: 3 },
        summary,
        results,
      },
      "Ingress proxy benchmark",
      markdown,
    );
  } finally {
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : err}\n`);
  process.exit(1);
});
