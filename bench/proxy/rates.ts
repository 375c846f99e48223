/**
 * Connection rates for the proxy benchmark, measured with bench/proxy/crr.c (TCP_CRR-style).
 * The machine is shared and its load drifts by tens of percent within a minute, so rates that
 * are compared are never measured one configuration after the other: every configuration
 * stays loaded in a topology of its own (bench/proxy/topology.ts) and the runs interleave,
 * round by round, in an order that alternates. A round's runs are seconds apart, so the ratio
 * of two configurations is taken per round and the median over rounds is reported (drift
 * cancels), next to the median rate of each configuration.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../../test/helpers/cli.js";
import { execIn } from "../../test/helpers/nsproc.js";

export interface Crr {
  connections: number;
  rate: number;
  errors: number;
  answers: number[];
}

export function buildCrr(): { binary: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "flatnet-bench-crr-"));
  const binary = join(dir, "crr");
  execFileSync("cc", ["-O2", "-Wall", "-o", binary, join(repoRoot(), "bench", "proxy", "crr.c")], {
    stdio: "inherit",
  });
  return { binary, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One crr client run from `clientNs`: for `seconds`, or until `max` connections. */
export async function crr(
  binary: string,
  clientNs: string,
  ip: string,
  port: number,
  seconds: number,
  max?: number,
): Promise<Crr> {
  const argv = [
    binary,
    "client",
    ip,
    String(port),
    String(max ? 120 : seconds),
    ...(max ? [String(max)] : []),
  ];
  const r = await execIn(clientNs, argv);
  if (r.code !== 0) throw new Error(`crr ${ip}:${port}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Crr;
}

/** A configuration to measure: which client namespace dials which address. */
export interface RateTarget {
  label: string;
  clientNs: string;
  ip: string;
  port: number;
}

export interface InterleavedRates {
  /** label -> every run's rate, in round order. */
  runs: Record<string, number[]>;
  /** label -> median rate. */
  median: Record<string, number>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** `rounds` rounds, each running every target once (order reversed every other round). */
export async function interleavedRates(
  binary: string,
  targets: RateTarget[],
  rounds: number,
  seconds: number,
): Promise<InterleavedRates> {
  const runs: Record<string, number[]> = Object.fromEntries(targets.map((t) => [t.label, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const res = await crr(binary, t.clientNs, t.ip, t.port, seconds);
      if (res.errors > 0 && res.connections === 0) throw new Error(`crr ${t.label}: no connection succeeded`);
      runs[t.label]!.push(res.rate);
    }
  }
  const med = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)]));
  return { runs, median: med };
}

/** Median over rounds of runs[a][i] / runs[b][i]. */
export function pairedRatio(r: InterleavedRates, a: string, b: string): number {
  const xs = r.runs[a]!;
  const ys = r.runs[b]!;
  return median(xs.map((x, i) => x / ys[i]!));
}
