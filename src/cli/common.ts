/**
 * Shared CLI plumbing: argument parsing (node:util parseArgs), choosing the lab a command
 * acts on, root and tool checks, and progress lines that only appear on a terminal.
 */
import { accessSync, constants } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { labPaths, validateLabName } from "../lab/names.js";
import { callRpc } from "../lab/rpc.js";
import { daemonPid, listLabs } from "../lab/teardown.js";
import { UserError } from "../util/errors.js";

export type Options = NonNullable<ParseArgsConfig["options"]>;

export function parse<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true as const });
  } catch (err) {
    throw new UserError(`flatnet ${command}: ${(err as Error).message}`, `see flatnet ${command} --help`);
  }
}

export const nameOption = { name: { type: "string" } } as const;
export const outputOption = { output: { type: "string", short: "o" } } as const;
export const helpOption = { help: { type: "boolean", short: "h" } } as const;

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new UserError(
      `flatnet ${what} needs root: it creates network namespaces and links`,
      `run it with sudo`,
    );
  }
}

export function requireTools(tools: string[]): void {
  for (const tool of tools) {
    const found = (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin")
      .split(":")
      .concat(["/usr/sbin", "/sbin"])
      .some((dir) => {
        try {
          accessSync(`${dir}/${tool}`, constants.X_OK);
          return true;
        } catch {
          return false;
        }
      });
    if (!found) {
      const pkg: Record<string, string> = {
        ip: "iproute2",
        nft: "nftables",
        conntrack: "conntrack",
        unshare: "util-linux",
      };
      throw new UserError(
        `required tool "${tool}" not found on PATH`,
        `apt-get install ${pkg[tool] ?? tool}`,
      );
    }
  }
}

/** The lab a command acts on: --name, else the only running lab. */
export function targetLab(name: string | undefined): string {
  if (name) {
    validateLabName(name);
    if (daemonPid(name) === undefined) {
      throw new UserError(`lab "${name}" is not running`, `start it with flatnet up --name ${name}`);
    }
    return name;
  }
  const running = listLabs().filter((l) => daemonPid(l) !== undefined);
  if (running.length === 0) throw new UserError("no lab is running", "start one with flatnet up");
  if (running.length > 1) {
    throw new UserError(
      `${running.length} labs are running (${running.join(", ")})`,
      "choose one with --name LAB",
    );
  }
  return running[0]!;
}

export function labCall<T>(lab: string, method: string, params: unknown = {}): Promise<T> {
  return callRpc<T>(labPaths(lab).socket, method, params);
}

/** A progress line rewritten in place on a terminal, silent otherwise. */
export function progress(text: string): void {
  if (!process.stderr.isTTY) return;
  process.stderr.write(`\r\x1b[2K${text}`);
}

export function progressDone(): void {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");
}

export function outputFormat(value: unknown, allowed: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw new UserError(`unknown output format "${String(value)}"`, `use one of: ${allowed.join(", ")}`);
  }
  return value;
}
