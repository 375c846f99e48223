/**
 * One CNI request in, one CNI response out: { env, stdin } -> { stdout, exitCode }. The only
 * entry into the plugins, used by the standalone executable (main.ts) and by the resident
 * agent (agent-server.ts) alike, so both answer byte-for-byte the same.
 *
 * Order of validation, so each failure gets the spec's code: the environment (4), then for
 * VERSION nothing more; the config's JSON (6), its cniVersion (1), its fields (7, or 2 for
 * unsupported options), whether the command exists at that version (1), then the command.
 * Errors print the spec's error JSON on stdout with exit status 1; unexpected exceptions are
 * reported the same way (code 5 for filesystem errors, 100 otherwise) rather than crashing.
 */

import { bridgeAdd, bridgeCheck, bridgeDel, bridgeGc, bridgeStatus } from "./bridge-plugin.js";
import {
  type BaseConf,
  type BridgeConf,
  configVersion,
  decodeJsonObject,
  type JsonObject,
  parseBaseConf,
  parseBridgeConf,
} from "./config.js";
import type { PluginContext } from "./context.js";
import { type CniCommand, type CniInvocation, parseEnv } from "./env.js";
import { CniCode, CniError, errorJson } from "./errors.js";
import { ipamAdd, ipamCheck, ipamDel, ipamGc, ipamStatus } from "./ipam-plugin.js";
import { LATEST_VERSION, requireCommandAtVersion, SUPPORTED_VERSIONS, versionInfo } from "./version.js";

export const PLUGIN_NAMES = ["flatnet-cni", "flatnet-ipam"] as const;
export type PluginName = (typeof PLUGIN_NAMES)[number];

export interface CniRequest {
  env: Record<string, string | undefined>;
  stdin: string;
}

export interface CniResponse {
  stdout: string;
  exitCode: number;
}

/** A command resolves with the JSON to print, or with nothing (DEL, CHECK, GC, STATUS). */
type Command<C> = (conf: C, inv: CniInvocation, ctx: PluginContext) => Promise<unknown>;

interface Plugin<C extends BaseConf> {
  parse(raw: JsonObject): C;
  commands: Record<Exclude<CniCommand, "VERSION">, Command<C>>;
}

const bridge: Plugin<BridgeConf> = {
  parse: parseBridgeConf,
  commands: { ADD: bridgeAdd, DEL: bridgeDel, CHECK: bridgeCheck, GC: bridgeGc, STATUS: bridgeStatus },
};

const ipam: Plugin<BaseConf> = {
  parse: parseBaseConf,
  commands: { ADD: ipamAdd, DEL: ipamDel, CHECK: ipamCheck, GC: ipamGc, STATUS: ipamStatus },
};

export function isPluginName(name: string): name is PluginName {
  return (PLUGIN_NAMES as readonly string[]).includes(name);
}

function toCniError(err: unknown): CniError {
  if (err instanceof CniError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === "string" && typeof e.syscall === "string") {
    return new CniError(CniCode.IoFailure, e.message);
  }
  return new CniError(CniCode.KernelFailure, e instanceof Error ? e.message : String(err), e?.stack);
}

async function dispatch<C extends BaseConf>(
  plugin: Plugin<C>,
  req: CniRequest,
  ctx: PluginContext,
): Promise<string> {
  const inv = parseEnv(req.env);
  if (inv.command === "VERSION") return JSON.stringify(versionInfo());
  const raw = decodeJsonObject(req.stdin);
  const conf = plugin.parse(raw);
  requireCommandAtVersion(inv.command, conf.cniVersion);
  const out = await plugin.commands[inv.command](conf, inv, ctx);
  return out && typeof out === "object" ? JSON.stringify(out) : "";
}

/** Serve one request for plugin `name`. Never throws. */
export async function handleCni(
  name: PluginName,
  req: CniRequest,
  ctx: Omit<PluginContext, "env"> = {},
): Promise<CniResponse> {
  const full: PluginContext = { ...ctx, env: req.env };
  try {
    const stdout =
      name === "flatnet-cni" ? await dispatch(bridge, req, full) : await dispatch(ipam, req, full);
    return { stdout, exitCode: 0 };
  } catch (err) {
    let version = LATEST_VERSION;
    try {
      const v = configVersion(JSON.parse(req.stdin) as JsonObject);
      if (v && (SUPPORTED_VERSIONS as readonly string[]).includes(v)) version = v;
    } catch {
      /* undecodable config: answer in the latest version */
    }
    return { stdout: JSON.stringify(errorJson(toCniError(err), version)), exitCode: 1 };
  }
}
