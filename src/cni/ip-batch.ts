/**
 * One `ip -batch` invocation in a given namespace: the unit of kernel work of the plugin. A
 * batch stops at its first failing line; the error says which line and what the kernel
 * answered, so callers can tell "bridge missing" (line 1) from "interface exists" (line 2).
 *
 * Namespaces: the host side is a name under /run/netns (`ip -n NAME`) or the caller's own;
 * the pod side is CNI_NETNS, a path: /run/netns/NAME maps to `ip -n NAME`, anything else
 * (/proc/PID/ns/net, a bind mount elsewhere) goes through `nsenter --net=PATH ip`.
 */
import { runStatus } from "../kernel/exec.js";

export type NsRef = { kind: "own" } | { kind: "named"; name: string } | { kind: "path"; path: string };

export const ownNs: NsRef = { kind: "own" };

export function hostNs(name: string | undefined): NsRef {
  return name ? { kind: "named", name } : ownNs;
}

export function nsFromPath(path: string): NsRef {
  const m = /^\/run\/netns\/([^/]+)$/.exec(path);
  return m ? { kind: "named", name: m[1]! } : { kind: "path", path };
}

export function describeNs(ns: NsRef): string {
  return ns.kind === "own"
    ? "the current netns"
    : ns.kind === "named"
      ? `netns ${ns.name}`
      : `netns ${ns.path}`;
}

/** argv running `ip <opts>` in the namespace. */
export function ipArgv(ns: NsRef, opts: string[]): string[] {
  if (ns.kind === "named") return ["ip", "-n", ns.name, ...opts];
  if (ns.kind === "path") return ["nsenter", `--net=${ns.path}`, "ip", ...opts];
  return ["ip", ...opts];
}

export class BatchError extends Error {
  constructor(
    readonly ns: NsRef,
    /** 1-based index of the failing line, 0 when unknown (ip did not start). */
    readonly line: number,
    readonly lineText: string,
    readonly kernelSays: string,
  ) {
    super(
      line > 0
        ? `ip in ${describeNs(ns)}: "${lineText}" failed: ${kernelSays}`
        : `ip in ${describeNs(ns)} failed: ${kernelSays}`,
    );
    this.name = "BatchError";
  }
}

/** The path `setns` needs for a namespace reference; undefined for the process's own. */
export function nsPath(ns: NsRef): string | undefined {
  return ns.kind === "own" ? undefined : ns.kind === "named" ? `/run/netns/${ns.name}` : ns.path;
}

export function batchFlags(opts: { json?: boolean; details?: boolean }): string[] {
  return [...(opts.json ? ["-j"] : []), ...(opts.details ? ["-d"] : []), "-batch", "-"];
}

/**
 * What an `ip -batch` run means: its JSON outputs (one parsed array per show line) or the
 * BatchError naming the failing line ("Command failed -:N") and the kernel's words.
 */
export function batchOutcome(
  ns: NsRef,
  lines: string[],
  res: { code: number; stdout: string; stderr: string },
  json: boolean,
): unknown[] {
  if (res.code !== 0) {
    const m = /Command failed -:(\d+)/.exec(res.stderr);
    const line = m ? Number(m[1]) : 0;
    const says = res.stderr
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("Command failed"))
      .join("; ");
    throw new BatchError(ns, line, lines[line - 1] ?? "", says || `exit status ${res.code}`);
  }
  if (!json) return [];
  return res.stdout
    .split("\n")
    .filter((l) => l.startsWith("["))
    .map((l) => JSON.parse(l) as unknown);
}

/** Run the lines as one batch in its own `ip` process. */
export async function ipBatch(
  ns: NsRef,
  lines: string[],
  opts: { json?: boolean; details?: boolean } = {},
): Promise<unknown[]> {
  const res = await runStatus(ipArgv(ns, batchFlags(opts)), { input: `${lines.join("\n")}\n` });
  return batchOutcome(ns, lines, res, opts.json ?? false);
}

/** Runs ip batches; the agent swaps in persistent sessions for its node's netns (ip-session.ts). */
export interface IpRunner {
  batch(ns: NsRef, lines: string[], opts?: { json?: boolean; details?: boolean }): Promise<unknown[]>;
}

/** One `ip` process per batch: what the standalone plugin uses. */
export const execRunner: IpRunner = { batch: ipBatch };

export function sameNs(a: NsRef, b: NsRef): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "named" && b.kind === "named") return a.name === b.name;
  if (a.kind === "path" && b.kind === "path") return a.path === b.path;
  return true;
}
