/**
 * `nft -f -` in a namespace, timed both ways: wall clock, and the CPU time nft itself used
 * (user + system, from bash's `time`). On a shared 2-core machine at load 7 the wall clock of
 * a 100 ms job stretches 1.2-4x with the scheduler's mood, while its CPU time stays put; the
 * benchmark reports both, so a ratio can be read for what the design costs.
 */
import { run } from "../../src/kernel/exec.js";

export interface NftTiming {
  ms: number;
  cpuMs: number;
}

const SCRIPT = '{ TIMEFORMAT="flatnet-cpu %3U %3S"; time nft -f - ; } 2>&1';

export async function nftTimed(netns: string, script: string, timeoutMs = 1_800_000): Promise<NftTiming> {
  const t0 = performance.now();
  const out = await run(["bash", "-c", SCRIPT], { netns, input: script, timeoutMs });
  const ms = performance.now() - t0;
  const m = /^flatnet-cpu (\d+\.\d+) (\d+\.\d+)$/m.exec(out);
  if (!m) throw new Error(`nft: no CPU time in its output: ${out.slice(0, 300)}`);
  return { ms, cpuMs: (Number(m[1]) + Number(m[2])) * 1000 };
}
