/**
 * Running the kernel's own tools (ip, nft, bridge, conntrack). Every call names the
 * namespace it acts in, and a failure carries the command and the tool's stderr, because
 * "RTNETLINK answers: File exists" means nothing without the line that caused it.
 */
import { execFile, spawn } from "node:child_process";
import { kernelTools, spawnPoolAvailable } from "./spawn-pool.js";

export class CommandError extends Error {
  constructor(
    readonly command: string[],
    readonly code: number | null,
    readonly stderr: string,
  ) {
    super(`${command.join(" ")}: ${stderr.trim() || `exit code ${code}`}`);
    this.name = "CommandError";
  }
}

export interface RunOptions {
  /** Network namespace name (under /run/netns); the command runs inside it. */
  netns?: string;
  /** Data for the command's stdin (e.g. an `ip -batch -` or `nft -f -` script). */
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /**
   * Enter `netns` with setns(2) alone (the spawner helper does it), not through `ip -n` /
   * `ip netns exec`, whose private mount namespace copies every mount of the machine (over a
   * thousand netns bind mounts in a big lab) and remounts /sys. Only for tools that talk
   * netlink and nothing else (e.g. `ip link set lo up`): /sys and /etc stay the caller's.
   */
  netlinkOnly?: boolean;
}

/** Where a named namespace is bound (the `ip netns` convention; netns.ts has the rest). */
const netnsPath = (name: string) => `/run/netns/${name}`;

/** The argv that runs `argv` inside `netns` (or argv itself). */
export function inNetns(netns: string | undefined, argv: string[]): string[] {
  return netns ? ["ip", "netns", "exec", netns, ...argv] : argv;
}

export function run(argv: string[], opts: RunOptions = {}): Promise<string> {
  // `ip` takes the namespace itself (-n), which skips a fork of `ip netns exec`.
  let full = argv;
  if (opts.netns) {
    if (argv[0] === "ip") full = ["ip", "-n", opts.netns, ...argv.slice(1)];
    else full = inNetns(opts.netns, argv);
  }
  if (spawnPoolAvailable()) {
    // netlinkOnly: the helper enters the namespace itself; errors still name `full`.
    const direct = opts.netns !== undefined && opts.netlinkOnly === true;
    const req = direct
      ? { argv, netnsPath: netnsPath(opts.netns!), input: opts.input, env: envRecord(opts.env) }
      : { argv: full, input: opts.input, env: envRecord(opts.env) };
    return withTimeout(kernelTools.run(req), full, opts.timeoutMs).then((r) => {
      if (r.code !== 0) throw new CommandError(full, r.code, r.stderr || r.stdout);
      return r.stdout;
    });
  }
  const [cmd, ...args] = full as [string, ...string[]];
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 30_000, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          const code = typeof (err as NodeJS.ErrnoException).code === "number" ? Number(err.code) : null;
          reject(new CommandError(full, code, stderr || err.message));
        } else resolve(stdout);
      },
    );
    // A tool may exit before reading its input; that shows in its exit status, not as EPIPE.
    child.stdin?.on("error", () => undefined);
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

function envRecord(env: NodeJS.ProcessEnv | undefined): Record<string, string> | undefined {
  if (!env) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function withTimeout<T>(p: Promise<T>, argv: string[], ms = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new CommandError(argv, null, `timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** Like run, but resolves with the exit status instead of throwing on failure. */
export function runStatus(
  argv: string[],
  opts: RunOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const full = inNetns(opts.netns, argv);
  if (spawnPoolAvailable()) {
    return withTimeout(
      kernelTools.run({ argv: full, input: opts.input ?? "", env: envRecord(opts.env) }),
      full,
      opts.timeoutMs,
    ).then((r) => (r.code === -1 ? { ...r, code: 127 } : r));
  }
  const [cmd, ...args] = full as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", (e) => resolve({ code: 127, stdout, stderr: stderr + e.message }));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}
