/**
 * flatnet-cni, the bridge plugin: each CNI command as config + invocation -> kernel and IPAM
 * work -> the JSON to print (or nothing). Shared verbatim by the standalone executable and the
 * resident agent; the PluginContext says which namespace is the node.
 *
 *   ADD    IPAM first (so a full range fails before any kernel change), then the datapath; a
 *          failure releases the address and rolls back the veth (and a bridge made for it)
 *   DEL    the host-side veth by its derived name (works without the pod netns), then IPAM
 *   CHECK  IPAM still holds the addresses; kernel state matches the prevResult (check.ts)
 *   GC     IPAM releases what is not in cni.dev/valid-attachments; flatnet veths on the
 *          bridge that belong to no valid attachment are deleted (a bridge serves one network)
 *   STATUS IPAM has a free address in every range set
 */

import { driftOf, expectedFrom, readObserved } from "./check.js";
import type { BridgeConf, JsonObject } from "./config.js";
import { ipamFor, type PluginContext, requireNetns } from "./context.js";
import { applyAdd, deleteHostVeth, ensureForwarding } from "./datapath.js";
import { addResult, desiredAttachment } from "./desired.js";
import type { CniInvocation } from "./env.js";
import { CniCode, CniError } from "./errors.js";
import { BatchError, execRunner, hostNs } from "./ip-batch.js";
import { HOST_VETH_PREFIX, hostVethName } from "./names.js";
import { formatResult, parseResult } from "./result.js";

function prevResultOf(conf: BridgeConf) {
  return conf.prevResult ? parseResult(conf.prevResult, CniCode.InvalidConfig, "prevResult") : undefined;
}

export async function bridgeAdd(
  conf: BridgeConf,
  inv: CniInvocation,
  ctx: PluginContext,
): Promise<JsonObject> {
  requireNetns(inv);
  const prev = prevResultOf(conf);
  const ipam = ipamFor(conf, inv, ctx);
  const got = await ipam.add();
  try {
    const a = desiredAttachment(conf, inv, got);
    const host = hostNs(ctx.hostNetns);
    if (a.bridgeAddresses.length) {
      const families = [...new Set(a.bridgeAddresses.map((x) => (x.includes(":") ? 6 : 4) as 4 | 6))];
      await ensureForwarding(host, families);
    }
    const seen = await applyAdd(ctx.ip ?? execRunner, host, a);
    return formatResult(addResult(conf, a, got, seen, prev), conf.cniVersion);
  } catch (e) {
    await ipam.del().catch(() => {});
    throw e;
  }
}

export async function bridgeDel(conf: BridgeConf, inv: CniInvocation, ctx: PluginContext): Promise<void> {
  await deleteHostVeth(
    ctx.ip ?? execRunner,
    hostNs(ctx.hostNetns),
    hostVethName(inv.containerId, inv.ifname),
  );
  await ipamFor(conf, inv, ctx).del();
}

export async function bridgeCheck(conf: BridgeConf, inv: CniInvocation, ctx: PluginContext): Promise<void> {
  if (!conf.prevResult) {
    throw new CniError(CniCode.InvalidConfig, "CHECK needs prevResult (the result of ADD) in the config");
  }
  requireNetns(inv);
  const prev = parseResult(conf.prevResult, CniCode.InvalidConfig, "prevResult");
  await ipamFor(conf, inv, ctx).check(prev);
  const expected = expectedFrom(conf, inv, prev);
  const problems = driftOf(
    expected,
    await readObserved(ctx.ip ?? execRunner, hostNs(ctx.hostNetns), expected, inv.netns),
  );
  if (problems.length) {
    throw new CniError(
      CniCode.CheckFailed,
      `container ${inv.containerId} ${inv.ifname}: ${problems.join("; ")}`,
    );
  }
}

/** flatnet veths attached to the bridge whose attachment is not valid any more. */
async function staleVeths(conf: BridgeConf, ctx: PluginContext, keep: Set<string>): Promise<string[]> {
  try {
    const [ports] = (await (ctx.ip ?? execRunner).batch(
      hostNs(ctx.hostNetns),
      [`link show master ${conf.bridge}`],
      { json: true },
    )) as Array<Array<{ ifname: string }>>;
    return (ports ?? []).map((p) => p.ifname).filter((n) => n.startsWith(HOST_VETH_PREFIX) && !keep.has(n));
  } catch (e) {
    if (e instanceof BatchError && /(does not exist|Cannot find device)/.test(e.kernelSays)) return [];
    throw e;
  }
}

export async function bridgeGc(conf: BridgeConf, inv: CniInvocation, ctx: PluginContext): Promise<void> {
  const valid = conf.validAttachments;
  if (!valid) throw new CniError(CniCode.InvalidConfig, `GC needs "cni.dev/valid-attachments" in the config`);
  const keep = new Set(valid.map((a) => hostVethName(a.containerID, a.ifname)));
  for (const veth of await staleVeths(conf, ctx, keep)) {
    await deleteHostVeth(ctx.ip ?? execRunner, hostNs(ctx.hostNetns), veth);
  }
  await ipamFor(conf, inv, ctx).gc(valid);
}

export async function bridgeStatus(conf: BridgeConf, inv: CniInvocation, ctx: PluginContext): Promise<void> {
  await ipamFor(conf, inv, ctx).status();
}
