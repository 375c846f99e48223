/**
 * The CNI_* environment of one invocation, parsed and validated per command as the spec
 * requires (ADD/CHECK need the container, its netns and ifname; DEL tolerates a missing
 * netns; GC/STATUS/VERSION need no container). Pure: takes the env as a plain object, so the
 * agent can pass the env a shim relayed and tests need no process state.
 */
import { CniCode, CniError } from "./errors.js";

export const COMMANDS = ["ADD", "DEL", "CHECK", "STATUS", "GC", "VERSION"] as const;
export type CniCommand = (typeof COMMANDS)[number];

export interface CniInvocation {
  command: CniCommand;
  containerId: string;
  /** Path of the container's network namespace (/run/netns/x, /proc/PID/ns/net); "" if absent. */
  netns: string;
  ifname: string;
  /** CNI_ARGS as key/value pairs ("IgnoreUnknown=1;IP=10.0.0.5"). */
  args: Record<string, string>;
  /** CNI_PATH split on ":"; where delegated plugins are looked up. */
  path: string[];
}

const NEEDS: Record<CniCommand, Array<"containerId" | "netns" | "ifname" | "path">> = {
  ADD: ["containerId", "netns", "ifname", "path"],
  CHECK: ["containerId", "netns", "ifname", "path"],
  DEL: ["containerId", "ifname", "path"],
  GC: ["path"],
  STATUS: ["path"],
  VERSION: [],
};

const VAR_OF = { containerId: "CNI_CONTAINERID", netns: "CNI_NETNS", ifname: "CNI_IFNAME", path: "CNI_PATH" };

function invalid(msg: string): CniError {
  return new CniError(CniCode.InvalidEnv, msg);
}

/** CNI_ARGS: "K=V;K=V". Empty segments are allowed; a segment without "=" is an error. */
export function parseCniArgs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(";")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) throw invalid(`CNI_ARGS: "${part}" is not KEY=VALUE (CNI_ARGS is "K1=V1;K2=V2")`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/** The spec's container ID rule: alphanumerics plus _ . -, starting with an alphanumeric. */
export function validContainerId(id: string): boolean {
  return /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(id);
}

/** Linux interface names: 1-15 bytes, not "." or "..", no "/", ":" or whitespace. */
export function validIfname(name: string): boolean {
  return (
    name.length > 0 && Buffer.byteLength(name) <= 15 && name !== "." && name !== ".." && !/[/:\s]/.test(name)
  );
}

export function parseEnv(env: Record<string, string | undefined>): CniInvocation {
  const command = env.CNI_COMMAND;
  if (!command) throw invalid("CNI_COMMAND is not set (one of ADD, DEL, CHECK, STATUS, GC, VERSION)");
  if (!(COMMANDS as readonly string[]).includes(command)) {
    throw invalid(`CNI_COMMAND "${command}" is not one of ${COMMANDS.join(", ")}`);
  }
  const cmd = command as CniCommand;
  for (const need of NEEDS[cmd]) {
    if (!env[VAR_OF[need]]) throw invalid(`${VAR_OF[need]} is not set (required for ${cmd})`);
  }
  const inv: CniInvocation = {
    command: cmd,
    containerId: env.CNI_CONTAINERID ?? "",
    netns: env.CNI_NETNS ?? "",
    ifname: env.CNI_IFNAME ?? "",
    args: parseCniArgs(env.CNI_ARGS ?? ""),
    path: (env.CNI_PATH ?? "").split(":").filter((p) => p !== ""),
  };
  if (inv.containerId && !validContainerId(inv.containerId)) {
    throw invalid(
      `CNI_CONTAINERID "${inv.containerId}" is invalid (letters, digits, "_", ".", "-", starting with a letter or digit)`,
    );
  }
  if (inv.ifname && !validIfname(inv.ifname)) {
    throw invalid(
      `CNI_IFNAME "${inv.ifname}" is not a valid interface name (1-15 bytes, no "/", ":" or spaces)`,
    );
  }
  if (inv.netns && !inv.netns.startsWith("/")) {
    throw invalid(
      `CNI_NETNS "${inv.netns}" is not an absolute path (e.g. /run/netns/NAME or /proc/PID/ns/net)`,
    );
  }
  return inv;
}
