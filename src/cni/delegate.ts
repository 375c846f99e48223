/**
 * Exec'ing another plugin the way a runtime does (used for IPAM delegation): find its
 * executable on CNI_PATH, run it in the host namespace the request is for, with the
 * invocation's CNI_* variables and the network config on stdin, and decode what it prints.
 *
 * Version negotiation: the reference plugins speak at most 1.0.0, so a 1.1.0 config would be
 * refused with code 1. When that happens the plugin is asked for VERSION and the request is
 * repeated at the highest version both speak (1.0.0 and 1.1.0 results have the same shape);
 * the answer is remembered per executable for the life of the process.
 */
import { accessSync, constants } from "node:fs";
import { join } from "node:path";
import { runStatus } from "../kernel/exec.js";
import type { SpawnRequest, SpawnResult } from "../kernel/spawner.js";
import type { JsonObject } from "./config.js";
import { CniCode, CniError } from "./errors.js";
import { compareVersions, highestCommon, SUPPORTED_VERSIONS } from "./version.js";

export interface DelegateTarget {
  /** Plugin type, e.g. "host-local". */
  type: string;
  /** Directories to search (CNI_PATH). */
  path: string[];
  /** Named netns the plugin must run in; undefined = the caller's own. */
  hostNetns?: string;
  /** The invocation's environment (CNI_*, PATH). */
  env: Record<string, string | undefined>;
  /** How to start the plugin (the agent's spawner); default: a child of this process. */
  spawn?: (req: SpawnRequest) => Promise<SpawnResult>;
}

export function findPlugin(type: string, dirs: string[]): string {
  for (const dir of dirs) {
    const file = join(dir, type);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      /* not in this directory */
    }
  }
  throw new CniError(
    CniCode.InvalidConfig,
    `plugin "${type}" was not found in CNI_PATH (${dirs.join(":") || "empty"})`,
  );
}

const negotiated = new Map<string, string>();

interface RawOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function execOnce(
  file: string,
  target: DelegateTarget,
  command: string,
  stdin: string,
): Promise<RawOutcome> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.env)) {
    if (v !== undefined && (k.startsWith("CNI_") || k === "PATH")) env[k] = v;
  }
  env.CNI_COMMAND = command;
  env.PATH ??= process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin";
  if (target.spawn) {
    const netnsPath = target.hostNetns ? `/run/netns/${target.hostNetns}` : undefined;
    const res = await target.spawn({ argv: [file], netnsPath, env, input: stdin });
    return res.code === -1 ? { ...res, code: 127 } : res;
  }
  const argv = target.hostNetns ? ["nsenter", `--net=/run/netns/${target.hostNetns}`, file] : [file];
  return runStatus(argv, { env, input: stdin });
}

function pluginFailure(type: string, out: RawOutcome): CniError {
  try {
    const e = JSON.parse(out.stdout) as { code?: unknown; msg?: unknown; details?: unknown };
    if (typeof e.code === "number" && typeof e.msg === "string") {
      return new CniError(e.code, `${type}: ${e.msg}`, typeof e.details === "string" ? e.details : undefined);
    }
  } catch {
    /* not the spec's error JSON; fall through to stderr */
  }
  const why = out.stderr.trim() || out.stdout.trim() || `exit status ${out.code}`;
  return new CniError(CniCode.IoFailure, `${type} failed (exit status ${out.code}): ${why}`);
}

async function supportedBy(file: string, target: DelegateTarget): Promise<string[]> {
  const out = await execOnce(file, target, "VERSION", JSON.stringify({ cniVersion: "1.0.0" }));
  try {
    const info = JSON.parse(out.stdout) as { supportedVersions?: unknown };
    if (Array.isArray(info.supportedVersions))
      return info.supportedVersions.filter((v) => typeof v === "string");
  } catch {
    /* handled below */
  }
  throw pluginFailure(target.type, out);
}

/**
 * Run `command` on the plugin with `config` (cniVersion rewritten if negotiation needs it).
 * Resolves with the decoded stdout (ADD's result; {} for commands that print nothing) and the
 * version actually spoken. Commands the plugin's version lacks (GC, STATUS below 1.1.0) are
 * skipped and resolve with undefined.
 */
export async function execDelegate(
  target: DelegateTarget,
  command: string,
  config: JsonObject,
): Promise<{ output: JsonObject; version: string } | undefined> {
  const file = findPlugin(target.type, target.path);
  const wanted = String(config.cniVersion);
  let version = negotiated.get(`${file}@${wanted}`) ?? wanted;
  for (let attempt = 0; attempt < 2; attempt++) {
    if ((command === "GC" || command === "STATUS") && compareVersions(version, "1.1.0") < 0) return undefined;
    const out = await execOnce(file, target, command, JSON.stringify({ ...config, cniVersion: version }));
    if (out.code === 0) {
      if (out.stdout.trim() === "") return { output: {}, version };
      try {
        return { output: JSON.parse(out.stdout) as JsonObject, version };
      } catch (e) {
        throw new CniError(
          CniCode.DecodingFailure,
          `${target.type} printed a result that is not JSON: ${(e as Error).message}`,
        );
      }
    }
    const err = pluginFailure(target.type, out);
    if (err.code !== CniCode.IncompatibleVersion || attempt > 0) throw err;
    const common = highestCommon(SUPPORTED_VERSIONS, await supportedBy(file, target));
    if (!common || common === version) throw err;
    version = common;
    negotiated.set(`${file}@${wanted}`, version);
  }
  throw new CniError(CniCode.IncompatibleVersion, `${target.type}: no common CNI version`);
}
