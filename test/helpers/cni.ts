/**
 * Invoking CNI plugins exactly as a container runtime does, for the CNI interop tests and the
 * CNI benchmark: exec the plugin's executable inside the node's ("host") netns with
 * `ip netns exec`, the CNI_* variables in a clean environment and the config on stdin; read
 * stdout and the exit status. Also the repo paths and namespace naming those tests share.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isIp } from "../../src/ipam/cidr.js";
import { run } from "../../src/kernel/exec.js";
import { createNetns, deleteNetns } from "../../src/kernel/netns.js";
import { repoRoot } from "./cli.js";

export { repoRoot };

export const REFERENCE_CNI_DIR = "/usr/lib/cni";
export const flatnetBinDir = () => join(repoRoot(), "bin");
/** CNI_PATH as a node would have it: flatnet's plugins, then the reference plugins. */
export const cniPath = () => [flatnetBinDir(), REFERENCE_CNI_DIR];

/** A short id for this test run's namespaces: flatnet-t<id>-... */
export function testId(): string {
  return randomBytes(3).toString("hex");
}

export interface PluginCall {
  /** Plugin type (looked up on cniPath) or an absolute path. */
  plugin: string;
  command: "ADD" | "DEL" | "CHECK" | "STATUS" | "GC" | "VERSION";
  /** Netns the plugin runs in, as a runtime runs it on a node. */
  hostNetns: string;
  config: object | string;
  containerId?: string;
  netns?: string;
  ifname?: string;
  args?: string;
  cniPath?: string[];
  /** Variables to leave out (to test missing-env errors). */
  omit?: string[];
}

export interface PluginOutcome {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout decoded, when it is JSON (tests inspect it freely). */
  // biome-ignore lint/suspicious/noExplicitAny: decoded plugin output, shape checked by each test
  json?: any;
  ms: number;
}

export function pluginFile(plugin: string, path: string[] = cniPath()): string {
  if (plugin.startsWith("/")) return plugin;
  for (const dir of path) if (existsSync(join(dir, plugin))) return join(dir, plugin);
  throw new Error(`plugin ${plugin} not found in ${path.join(":")}`);
}

export function callPlugin(call: PluginCall): Promise<PluginOutcome> {
  const path = call.cniPath ?? cniPath();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
    CNI_COMMAND: call.command,
    CNI_PATH: path.join(":"),
  };
  if (call.containerId !== undefined) env.CNI_CONTAINERID = call.containerId;
  if (call.netns !== undefined) env.CNI_NETNS = call.netns;
  if (call.ifname !== undefined) env.CNI_IFNAME = call.ifname;
  if (call.args !== undefined) env.CNI_ARGS = call.args;
  for (const k of call.omit ?? []) delete env[k];
  const stdin = typeof call.config === "string" ? call.config : JSON.stringify(call.config);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", call.hostNetns, pluginFile(call.plugin, path)], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const out: PluginOutcome = { code: code ?? 1, stdout, stderr, ms: performance.now() - started };
      try {
        if (stdout.trim()) out.json = JSON.parse(stdout);
      } catch {
        /* not JSON: the caller looks at stdout */
      }
      resolve(out);
    });
    child.stdin.end(stdin);
  });
}

/** Like callPlugin, but throws with the plugin's answer unless it exited 0. */
export async function callOk(call: PluginCall): Promise<PluginOutcome> {
  const out = await callPlugin(call);
  if (out.code !== 0) {
    throw new Error(`${call.plugin} ${call.command} failed (exit ${out.code}): ${out.stdout} ${out.stderr}`);
  }
  return out;
}

/** Link names in a netns (ip -j link). */
export async function linkNames(netns: string): Promise<string[]> {
  const links = JSON.parse(await run(["ip", "-j", "link", "show"], { netns })) as Array<{ ifname: string }>;
  return links.map((l) => l.ifname).sort();
}

export interface LinkInfo {
  ifname: string;
  mtu: number;
  address: string;
  master?: string;
  flags: string[];
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_slave_data?: { hairpin?: boolean } };
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

/**
 * A "node" netns for CNI tests, its pods and a scratch directory, all named
 * flatnet-t<id>-..., and removed by cleanup() (deleting a netns takes its bridge and veths).
 */
export class CniTestbed {
  readonly id = testId();
  readonly host = `flatnet-t${this.id}-host`;
  readonly dir: string;
  private readonly netnses: string[] = [];

  private constructor() {
    this.dir = mkdtempSync(join(tmpdir(), `flatnet-t${this.id}-`));
  }

  static async create(): Promise<CniTestbed> {
    const tb = new CniTestbed();
    await tb.netns(tb.host);
    return tb;
  }

  private async netns(name: string): Promise<string> {
    this.netnses.push(name);
    await createNetns(name);
    return name;
  }

  /** A new pod netns: its name and the path runtimes pass as CNI_NETNS. */
  async pod(suffix: string): Promise<{ name: string; path: string }> {
    const name = await this.netns(`flatnet-t${this.id}-${suffix}`);
    // A fresh namespace has lo down; the plugin must bring it up.
    await run(["ip", "link", "set", "lo", "down"], { netns: name });
    return { name, path: `/run/netns/${name}` };
  }

  async cleanup(): Promise<void> {
    for (const ns of this.netnses.reverse()) await deleteNetns(ns).catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Links of a netns with details and addresses. */
  async links(netns = this.host): Promise<LinkInfo[]> {
    return JSON.parse(await run(["ip", "-d", "-j", "addr", "show"], { netns })) as LinkInfo[];
  }

  async link(netns: string, name: string): Promise<LinkInfo | undefined> {
    return (await this.links(netns)).find((l) => l.ifname === name);
  }

  /** Routes of a netns (IPv4 and IPv6, main table). */
  async routes(netns: string): Promise<Array<{ dst: string; gateway?: string; dev?: string }>> {
    return JSON.parse(await run(["ip", "-j", "route", "show", "table", "main"], { netns })).concat(
      JSON.parse(await run(["ip", "-6", "-j", "route", "show", "table", "main"], { netns })),
    );
  }

  /** Everything a failed call must not change in the node: links, their masters and addresses. */
  async hostSnapshot(): Promise<string> {
    return (await this.links())
      .map(
        (l) =>
          `${l.ifname} master=${l.master ?? "-"} mtu=${l.mtu} ${(l.addr_info ?? [])
            .map((a) => `${a.local}/${a.prefixlen}`)
            .sort()
            .join(",")}`,
      )
      .sort()
      .join("\n");
  }
}

/** Addresses allocated in a host-local-layout IPAM directory (flatnet-ipam and host-local alike). */
export function allocatedIps(dataDir: string, network: string): string[] {
  const dir = join(dataDir, network);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => isIp(n))
    .sort();
}

/** The container ID recorded for an allocated address. */
export function allocationOwner(dataDir: string, network: string, ip: string): string {
  return readFileSync(join(dataDir, network, ip), "utf8")
    .split(/\r?\n/)[0]!
    .trim();
}
