/**
 * IPAM by any plugin on CNI_PATH (host-local, static, dhcp, ...): each IpamDriver call execs
 * the plugin with the same network config, as the spec's delegation rules say. Its ADD result
 * may be 0.4.0- or 1.x-shaped; it is decoded into the internal shape.
 */
import type { Attachment, BaseConf } from "./config.js";
import type { PluginContext } from "./context.js";
import { type DelegateTarget, execDelegate } from "./delegate.js";
import type { CniInvocation } from "./env.js";
import { CniCode, CniError } from "./errors.js";
import type { IpamDriver } from "./ipam-driver.js";
import { type CniResult, parseResult } from "./result.js";

export function delegatedIpam(conf: BaseConf, inv: CniInvocation, ctx: PluginContext): IpamDriver {
  const type = conf.ipam!.type;
  const target: DelegateTarget = { type, path: inv.path, hostNetns: ctx.hostNetns, env: ctx.env };
  if (ctx.spawn) target.spawn = ctx.spawn;
  return {
    async add(): Promise<CniResult> {
      const out = await execDelegate(target, "ADD", conf.raw);
      const result = parseResult(out?.output ?? {}, CniCode.DecodingFailure, `result of IPAM plugin ${type}`);
      if (result.ips.length === 0) {
        throw new CniError(CniCode.InvalidConfig, `IPAM plugin ${type} returned no IP addresses`);
      }
      // An IPAM plugin knows no interfaces; indices it might print mean nothing here.
      for (const ip of result.ips) delete ip.interface;
      result.interfaces = [];
      return result;
    },
    async del(): Promise<void> {
      await execDelegate(target, "DEL", conf.raw);
    },
    async check(): Promise<void> {
      await execDelegate(target, "CHECK", conf.raw);
    },
    async gc(valid: Attachment[]): Promise<void> {
      await execDelegate(target, "GC", {
        ...conf.raw,
        "cni.dev/valid-attachments": valid.map((a) => ({ ...a })),
      });
    },
    async status(): Promise<void> {
      await execDelegate(target, "STATUS", conf.raw);
    },
  };
}
