/**
 * Running wrk and reading its report (requests/s, latency percentiles, errors), and the CPU
 * time a set of processes used meanwhile (from /proc, children included for nginx's
 * master/worker pair) so the cost per request is known even when the shared machine's load
 * moves the throughput.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";

export interface WrkResult {
  rps: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  requests: number;
  /** Non-2xx/3xx answers plus socket errors: must be 0 for a valid run. */
  errors: number;
}

function ms(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  return m[2] === "us" ? v / 1000 : m[2] === "ms" ? v : m[2] === "s" ? v * 1000 : v * 60_000;
}

export function parseWrk(out: string): WrkResult {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? Number.NaN);
  const non2xx = num(/Non-2xx or 3xx responses:\s+(\d+)/) || 0;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const sockErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    latencyP50Ms: ms(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ""),
    latencyP99Ms: ms(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ""),
    requests: num(/(\d+) requests in/),
    errors: non2xx + sockErrors,
  };
}

export async function wrk(
  url: string,
  opts: { seconds: number; connections: number; host: string },
): Promise<WrkResult> {
  const { stdout } = await promisify(execFile)(
    "wrk",
    ["-t1", `-c${opts.connections}`, `-d${opts.seconds}s`, "--latency", "-H", `Host: ${opts.host}`, url],
    { timeout: (opts.seconds + 30) * 1000 },
  );
  return parseWrk(stdout);
}

/** CPU seconds (user+system) of the processes and their direct children. */
export function cpuSeconds(pids: number[]): number {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  const seen = new Set<number>();
  const add = (pid: number) => {
    if (seen.has(pid)) return;
    seen.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += (Number(fields[11]) + Number(fields[12])) / tick;
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
      for (const c of children ? children.split(" ") : []) add(Number(c));
    } catch {
      /* gone */
    }
  };
  for (const p of pids) add(p);
  return total;
}
