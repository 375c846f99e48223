/**
 * flatnet-ipam as its own IPAM plugin, so any interface plugin (the reference bridge, ptp,
 * macvlan) can allocate from flatnet's store: ADD prints the addresses, gateways and routes
 * (no interfaces: an IPAM plugin makes none), DEL releases, CHECK verifies the allocation
 * against the prevResult, GC releases what is not valid, STATUS reports free addresses.
 */
import type { BaseConf, JsonObject } from "./config.js";
import type { PluginContext } from "./context.js";
import type { CniInvocation } from "./env.js";
import { CniCode, CniError } from "./errors.js";
import { builtinIpam } from "./ipam-builtin.js";
import { formatResult, parseResult } from "./result.js";

function driver(conf: BaseConf, inv: CniInvocation, ctx: PluginContext) {
  if (!conf.ipam)
    throw new CniError(CniCode.InvalidConfig, `"ipam" is missing: flatnet-ipam reads its ranges from it`);
  return builtinIpam(conf, inv, ctx.store);
}

export async function ipamAdd(conf: BaseConf, inv: CniInvocation, ctx: PluginContext): Promise<JsonObject> {
  return formatResult(await driver(conf, inv, ctx).add(), conf.cniVersion);
}

export async function ipamDel(conf: BaseConf, inv: CniInvocation, ctx: PluginContext): Promise<void> {
  await driver(conf, inv, ctx).del();
}

export async function ipamCheck(conf: BaseConf, inv: CniInvocation, ctx: PluginContext): Promise<void> {
  if (!conf.prevResult) throw new CniError(CniCode.InvalidConfig, "CHECK needs prevResult in the config");
  await driver(conf, inv, ctx).check(parseResult(conf.prevResult, CniCode.InvalidConfig, "prevResult"));
}

export async function ipamGc(conf: BaseConf, inv: CniInvocation, ctx: PluginContext): Promise<void> {
  if (!conf.validAttachments) {
    throw new CniError(CniCode.InvalidConfig, `GC needs "cni.dev/valid-attachments" in the config`);
  }
  await driver(conf, inv, ctx).gc(conf.validAttachments);
}

export async function ipamStatus(conf: BaseConf, inv: CniInvocation, ctx: PluginContext): Promise<void> {
  await driver(conf, inv, ctx).status();
}
