/**
 * flatnet-ipam in-process: the host-local-style store of src/ipam called directly, with no
 * exec and no second Node start, so an ADD served by the resident agent costs one locked
 * read-modify-write of a small file. Used by the bridge plugin (ipam.type "flatnet-ipam") and
 * by the standalone flatnet-ipam plugin alike.
 *
 * Store errors become CNI codes: exhaustion 102, bad requests (a requested IP outside the
 * ranges or taken) 7, anything from the filesystem 5.
 */

import { UserError } from "../util/errors.js";
import type { Attachment, BaseConf } from "./config.js";
import type { CniInvocation } from "./env.js";
import { CniCode, CniError } from "./errors.js";
import { type FlatnetIpamConf, parseFlatnetIpamConf } from "./ipam-config.js";
import type { IpamDriver } from "./ipam-driver.js";
import { type HostLocalStore, hostLocalStore, type StoreConfig } from "./ipam-store.js";
import type { CniResult } from "./result.js";

function storeConfig(ipam: FlatnetIpamConf): StoreConfig {
  return { dataDir: ipam.dataDir, network: ipam.network, ranges: ipam.ranges };
}

export function asCniError(err: unknown, store: HostLocalStore, doing: string): CniError {
  if (err instanceof CniError) return err;
  if (store.isExhausted(err)) return new CniError(CniCode.IpamExhausted, (err as Error).message);
  if (err instanceof UserError) return new CniError(CniCode.InvalidConfig, `${doing}: ${err.toString()}`);
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === "string") return new CniError(CniCode.IoFailure, `${doing}: ${e.message}`);
  return new CniError(CniCode.IoFailure, `${doing}: ${e instanceof Error ? e.message : String(e)}`);
}

export function builtinIpam(
  conf: BaseConf,
  inv: CniInvocation,
  store: HostLocalStore = hostLocalStore,
): IpamDriver {
  const ipam = parseFlatnetIpamConf(conf, inv);
  const cfg = storeConfig(ipam);
  const owner = { containerId: inv.containerId, ifname: inv.ifname };
  const guard = async <T>(doing: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      throw asCniError(err, store, doing);
    }
  };
  return {
    add: () =>
      guard("allocating an address", async (): Promise<CniResult> => {
        const opts = ipam.requestedIps.length ? { requestedIps: ipam.requestedIps } : undefined;
        let got: Awaited<ReturnType<HostLocalStore["allocate"]>>;
        try {
          got = await store.allocate(cfg, inv.netns ? { ...owner, netns: inv.netns } : owner, opts);
        } catch (err) {
          // A repeated ADD: say so with the "interface exists" code rather than a config error.
          if (err instanceof UserError && !store.isExhausted(err)) {
            const held = await store.lookup(cfg, owner).catch(() => []);
            if (held.length && !opts) {
              throw new CniError(
                CniCode.InterfaceExists,
                `container ${inv.containerId} ifname ${inv.ifname} already holds ${held.map((a) => a.address).join(", ")} in network ${conf.name}: an earlier ADD was not deleted (run DEL first)`,
              );
            }
          }
          throw err;
        }
        return {
          cniVersion: conf.cniVersion,
          interfaces: [],
          ips: got.map((a) =>
            a.gateway ? { address: a.address, gateway: a.gateway } : { address: a.address },
          ),
          routes: ipam.routes.map((r) => ({ ...r })),
          dns: {},
        };
      }),
    del: () => guard("releasing the address", () => store.release(cfg, owner)),
    check: (prev: CniResult) =>
      guard("checking the allocation", async () => {
        const held = (await store.lookup(cfg, owner)).map((a) => a.address).sort();
        if (held.length === 0) {
          throw new CniError(
            CniCode.CheckFailed,
            `flatnet-ipam holds no address for container ${inv.containerId} ifname ${inv.ifname} in network ${conf.name}`,
          );
        }
        const expected = prev.ips
          .filter((ip) => ip.interface === undefined || prev.interfaces[ip.interface]?.name === inv.ifname)
          .map((ip) => ip.address)
          .sort();
        if (held.join(",") !== expected.join(",")) {
          throw new CniError(
            CniCode.CheckFailed,
            `flatnet-ipam holds ${held.join(", ")} for ${inv.containerId}/${inv.ifname}, but the result lists ${expected.join(", ") || "none"}`,
          );
        }
      }),
    gc: (valid: Attachment[]) =>
      guard("garbage-collecting allocations", async () => {
        await store.gc(
          cfg,
          valid.map((a) => ({ containerId: a.containerID, ifname: a.ifname })),
        );
      }),
    status: () =>
      guard("reading the IPAM store", async () => {
        const free = await store.freeCount(cfg);
        const empty = free.findIndex((n) => n <= 0n);
        if (empty >= 0) {
          throw new CniError(
            CniCode.PluginNotAvailable,
            `flatnet-ipam: range set ${empty} of network ${conf.name} (${ipam.ranges[empty]!.map((r) => r.subnet).join(", ")}) has no free address`,
          );
        }
      }),
  };
}
