/**
 * Where a request runs. The same command code serves the standalone plugin (exec'd by a
 * runtime inside the node's netns: hostNetns undefined, `ip` acts on the current netns) and
 * the resident agent (one process for a node whose netns is named: every `ip` gets `-n`).
 */
import { existsSync } from "node:fs";
import type { SpawnRequest, SpawnResult } from "../kernel/spawner.js";
import type { BaseConf } from "./config.js";
import type { CniInvocation } from "./env.js";
import { CniCode, CniError } from "./errors.js";
import type { IpRunner } from "./ip-batch.js";
import { builtinIpam } from "./ipam-builtin.js";
import { delegatedIpam } from "./ipam-delegated.js";
import type { IpamDriver } from "./ipam-driver.js";
import type { HostLocalStore } from "./ipam-store.js";

export interface PluginContext {
  /** Named netns (under /run/netns) acting as the node; undefined = this process's netns. */
  hostNetns?: string;
  /** The invocation's environment (CNI_* and PATH), passed on to delegated plugins. */
  env: Record<string, string | undefined>;
  /** The flatnet-ipam store (tests inject an in-memory one). */
  store?: HostLocalStore;
  /** How `ip` batches run (default: one process each; the agent keeps a session per node). */
  ip?: IpRunner;
  /** How delegated plugins are started (default: children of this process). */
  spawn?: (req: SpawnRequest) => Promise<SpawnResult>;
}

export const BUILTIN_IPAM = "flatnet-ipam";

export function ipamFor(conf: BaseConf, inv: CniInvocation, ctx: PluginContext): IpamDriver {
  if (conf.ipam?.type === BUILTIN_IPAM) return builtinIpam(conf, inv, ctx.store);
  return delegatedIpam(conf, inv, ctx);
}

/** Code 3 when the container's netns is gone (the runtime then knows there is nothing to clean). */
export function requireNetns(inv: CniInvocation): void {
  if (!existsSync(inv.netns)) {
    throw new CniError(
      CniCode.UnknownContainer,
      `CNI_NETNS ${inv.netns} does not exist (the container's network namespace is gone)`,
    );
  }
}
