/**
 * The two datapath measurements, each run from one namespace to an address in another:
 * - TCP throughput: iperf3, one stream, bits per second received by the server;
 * - TCP request/response rate: bench/datapath/rr.c (1-byte ping-pong, TCP_RR-style).
 * Servers are started once per target and kept; clients run one at a time so the two CPUs
 * are not shared between concurrent measurements.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, release, tmpdir } from "node:os";
import { join } from "node:path";
import { execIn, type ProcessGroup, waitForPort } from "../../test/helpers/nsproc.js";

export const IPERF_PORT = 5201;
export const RR_PORT = 5301;

/** rr.c compiled into a temporary directory; remove() deletes it. */
export function buildRr(sourcePath: string): { binary: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "flatnet-bench-rr-"));
  const binary = join(dir, "rr");
  try {
    execFileSync("cc", ["-O2", "-Wall", "-o", binary, sourcePath], { stdio: "inherit" });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot compile ${sourcePath} with cc (install gcc): ${(err as Error).message}`);
  }
  return { binary, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Start the iperf3 and rr servers inside `ns` and wait until both listen. */
export async function startServers(procs: ProcessGroup, ns: string, rrBinary: string): Promise<void> {
  procs.spawn(ns, ["iperf3", "-s", "-p", String(IPERF_PORT)]);
  procs.spawn(ns, [rrBinary, "server", String(RR_PORT)]);
  await waitForPort(ns, "tcp", IPERF_PORT);
  await waitForPort(ns, "tcp", RR_PORT);
}

/** TCP throughput from `ns` to `ip` in bits per second (what the receiver got). */
export async function throughput(ns: string, ip: string, seconds: number): Promise<number> {
  const r = await execIn(ns, ["iperf3", "-c", ip, "-p", String(IPERF_PORT), "-t", String(seconds), "-J"]);
  const out = JSON.parse(r.stdout || "{}") as {
    end?: { sum_received?: { bits_per_second?: number } };
    error?: string;
  };
  const bps = out.end?.sum_received?.bits_per_second;
  if (r.code !== 0 || bps === undefined) throw new Error(`iperf3 ${ns} -> ${ip}: ${out.error ?? r.stderr}`);
  return bps;
}

/** TCP 1-byte request/response transactions per second from `ns` to `ip`. */
export async function requestResponse(
  ns: string,
  rrBinary: string,
  ip: string,
  seconds: number,
): Promise<number> {
  const r = await execIn(ns, [rrBinary, "client", ip, String(RR_PORT), String(seconds)]);
  if (r.code !== 0) throw new Error(`rr ${ns} -> ${ip}: ${r.stderr.trim()}`);
  return (JSON.parse(r.stdout) as { rate: number }).rate;
}

export interface MachineInfo {
  nproc: number;
  kernel: string;
  cpu: string;
}

export function machineInfo(): MachineInfo {
  let cpu = cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpu = m[1]!.trim();
  } catch {
    // keep os.cpus()'s answer
  }
  return { nproc: cpus().length, kernel: release(), cpu };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
