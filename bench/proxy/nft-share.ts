/**
 * How much of a new connection's CPU goes to nf_tables: perf samples the whole machine while
 * crr dials a VIP, and the share of crr's samples (client and server, user and kernel) that
 * fall in nf_tables code (rule evaluation, set and map lookups, their hashing) is reported.
 * Unlike a connection rate, this share barely moves with the shared machine's load, so it
 * shows directly whether a bigger table costs more per connection (a lookup in a hash map of
 * 100,000 elements should cost what one in a map of 10 does). Needs `perf`; skipped without.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../src/kernel/exec.js";
import { crr, type RateTarget } from "./rates.js";

const NFT_CODE = /^(nft_|__nft_|nf_tables_|jhash|rht_|rhashtable_)/;

export interface NftShare {
  /** Percent of crr's samples in nf_tables code. */
  percent: number;
  /** Samples of the whole machine over the run (roughly). */
  samples: number;
}

export async function perfAvailable(): Promise<boolean> {
  return run(["perf", "--version"]).then(
    () => true,
    () => false,
  );
}

/** perf output lines "  1.23%  [k] symbol" -> percent per symbol (relative to crr's samples). */
export function parsePerfReport(text: string): { percent: number; total: number; samples: number } {
  let total = 0;
  let percent = 0;
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+\.\d+)%\s+\[[k.]\]\s+(\S+)/.exec(line);
    if (!m) continue;
    const p = Number(m[1]);
    total += p;
    if (NFT_CODE.test(m[2]!)) percent += p;
  }
  // "# Samples: 13K of event ..." counts every command's samples: a rough size of the run.
  const m = /^# Samples: (\d+)([KM]?)/m.exec(text);
  const samples = m ? Number(m[1]) * (m[2] === "K" ? 1e3 : m[2] === "M" ? 1e6 : 1) : 0;
  return { percent, total, samples };
}

export async function nftShare(binary: string, target: RateTarget, seconds: number): Promise<NftShare> {
  const dir = mkdtempSync(join(tmpdir(), "flatnet-bench-perf-"));
  const file = join(dir, "perf.data");
  try {
    const perf = spawn(
      "perf",
      ["record", "-a", "-F", "999", "-o", file, "--", "sleep", String(seconds + 0.5)],
      {
        stdio: "ignore",
      },
    );
    const exited = new Promise((r) => perf.on("exit", r));
    await crr(binary, target.clientNs, target.ip, target.port, seconds);
    await exited;
    const report = await run(
      [
        "perf",
        "report",
        "-i",
        file,
        "--stdio",
        "--no-children",
        "--sort",
        "sym",
        "--comm",
        "crr",
        "-g",
        "none",
        "--percentage",
        "relative",
      ],
      { timeoutMs: 120_000 },
    );
    const { percent, samples } = parsePerfReport(report);
    return { percent, samples };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
