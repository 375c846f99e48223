/**
 * The container-runtime side of CNI (what libcni does for containerd/CRI-O): find each
 * plugin of a network configuration list on CNI_PATH and exec it with CNI_* variables and
 * its configuration on stdin, inside the node's network namespace. ADD runs the list in
 * order, passing each result as the next plugin's prevResult; DEL runs it in reverse and
 * keeps going past failures so nothing is left behind; CHECK passes the cached ADD result.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { inNetns } from "../kernel/exec.js";
import { pluginRuns, spawnPoolAvailable } from "../kernel/spawn-pool.js";

export interface NetConfList {
  cniVersion: string;
  name: string;
  plugins: Array<Record<string, unknown> & { type: string }>;
  [k: string]: unknown;
}

export interface Attachment {
  containerId: string;
  netnsPath: string;
  ifname: string;
  /** CNI_ARGS as key=value pairs (K8S_POD_NAMESPACE, K8S_POD_NAME, ...). */
  args?: Record<string, string>;
  /** Capability arguments (runtimeConfig), e.g. portMappings. */
  runtimeConfig?: Record<string, unknown>;
}

export interface CniContext {
  cniPath: string[];
  /** Namespace the plugins run in (the node's); undefined = the caller's own. */
  hostNetns?: string;
}

export class CniError extends Error {
  constructor(
    readonly plugin: string,
    readonly code: number,
    readonly msg: string,
    readonly details?: string,
  ) {
    super(`CNI plugin ${plugin} failed (code ${code}): ${msg}${details ? `: ${details}` : ""}`);
    this.name = "CniError";
  }
}

function findPlugin(type: string, cniPath: string[]): string {
  for (const dir of cniPath) {
    const p = join(dir, type);
    if (existsSync(p)) return p;
  }
  throw new CniError(type, 7, `plugin "${type}" not found on CNI_PATH`, cniPath.join(":"));
}

interface ExecOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run the plugin inside hostNetns. The spawner helper enters it with setns(2), as a runtime
 * on a real node starts plugins in its own namespace; `ip netns exec` (the fallback without
 * the helper) also gives the process a private mount namespace with /sys remounted, which
 * copies every mount of the machine, over a thousand netns bind mounts in a big lab, for
 * every pod. Plugins talk netlink and /proc/sys, which follow the network namespace.
 */
function execPlugin(
  path: string,
  hostNetns: string | undefined,
  env: NodeJS.ProcessEnv,
  stdin: string,
): Promise<ExecOutcome> {
  if (spawnPoolAvailable()) {
    const record: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) if (v !== undefined) record[k] = v;
    const netnsPath = hostNetns ? `/run/netns/${hostNetns}` : undefined;
    return pluginRuns.run({ argv: [path], netnsPath, env: record, input: stdin }).then((r) => ({
      ...r,
      code: r.code === -1 ? 127 : r.code,
    }));
  }
  const [cmd, ...args] = inNetns(hostNetns, [path]) as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", (e) => resolve({ code: 127, stdout, stderr: e.message }));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });
}

/** Build one plugin's stdin config from the list, as libcni does. */
function pluginConfig(
  list: NetConfList,
  plugin: NetConfList["plugins"][number],
  prevResult: unknown,
  runtimeConfig: Record<string, unknown> | undefined,
): string {
  const conf: Record<string, unknown> = { ...plugin, cniVersion: list.cniVersion, name: list.name };
  if (prevResult !== undefined) conf.prevResult = prevResult;
  const caps = plugin.capabilities as Record<string, boolean> | undefined;
  if (runtimeConfig && caps) {
    const rc: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(runtimeConfig)) if (caps[k]) rc[k] = v;
    if (Object.keys(rc).length) conf.runtimeConfig = rc;
  }
  return JSON.stringify(conf);
}

async function invoke(
  command: "ADD" | "DEL" | "CHECK",
  list: NetConfList,
  plugin: NetConfList["plugins"][number],
  att: Attachment,
  ctx: CniContext,
  prevResult: unknown,
): Promise<unknown> {
  const path = findPlugin(plugin.type, ctx.cniPath);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    CNI_COMMAND: command,
    CNI_CONTAINERID: att.containerId,
    CNI_NETNS: att.netnsPath,
    CNI_IFNAME: att.ifname,
    CNI_PATH: ctx.cniPath.join(":"),
  };
  if (att.args) {
    env.CNI_ARGS = Object.entries(att.args)
      .map(([k, v]) => `${k}=${v}`)
      .join(";");
  }
  const out = await execPlugin(
    path,
    ctx.hostNetns,
    env,
    pluginConfig(list, plugin, prevResult, att.runtimeConfig),
  );
  if (out.code !== 0) {
    let parsed: { code?: number; msg?: string; details?: string } = {};
    try {
      parsed = JSON.parse(out.stdout);
    } catch {
      /* not JSON: report stderr */
    }
    throw new CniError(
      plugin.type,
      parsed.code ?? 999,
      parsed.msg ?? (out.stderr.trim() || `exit ${out.code}`),
      parsed.details,
    );
  }
  if (command !== "ADD") return prevResult;
  try {
    return JSON.parse(out.stdout);
  } catch {
    throw new CniError(plugin.type, 999, "plugin printed no valid result JSON", out.stdout.slice(0, 200));
  }
}

/** CNI ADD over the whole list; on failure the partial attachment is deleted again. */
export async function cniAdd(list: NetConfList, att: Attachment, ctx: CniContext): Promise<unknown> {
  let result: unknown;
  try {
    for (const plugin of list.plugins) result = await invoke("ADD", list, plugin, att, ctx, result);
    return result;
  } catch (err) {
    await cniDel(list, att, ctx).catch(() => undefined);
    throw err;
  }
}

/** CNI DEL in reverse order; every plugin runs even if one fails, the first error is raised. */
export async function cniDel(
  list: NetConfList,
  att: Attachment,
  ctx: CniContext,
  prevResult?: unknown,
): Promise<void> {
  let first: unknown;
  for (const plugin of [...list.plugins].reverse()) {
    await invoke("DEL", list, plugin, att, ctx, prevResult).catch((e) => {
      first ??= e;
    });
  }
  if (first) throw first;
}

export async function cniCheck(
  list: NetConfList,
  att: Attachment,
  ctx: CniContext,
  prevResult: unknown,
): Promise<void> {
  for (const plugin of list.plugins) await invoke("CHECK", list, plugin, att, ctx, prevResult);
}
