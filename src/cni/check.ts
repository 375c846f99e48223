/**
 * CHECK: compare what ADD made (the prevResult, the config) with what the kernel has now, and
 * name every difference: a missing or foreign interface, a missing address, a missing route,
 * a host-side veth that is gone or off the bridge, hairpin or MTU changed. The comparison is
 * pure (driftOf); readObserved does the two `ip -j` reads.
 */
import { canonicalIp, formatCidr, parseCidr } from "../ipam/cidr.js";
import type { BridgeConf } from "./config.js";
import type { CniInvocation } from "./env.js";
import { CniCode, CniError } from "./errors.js";
import { BatchError, type IpRunner, type NsRef, nsFromPath } from "./ip-batch.js";
import { hostVethName } from "./names.js";
import type { CniResult, CniRoute } from "./result.js";

export interface LinkState {
  ifname: string;
  mtu?: number;
  address?: string;
  master?: string;
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_slave_data?: { hairpin?: boolean } };
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

export interface RouteState {
  dst: string;
  gateway?: string;
  table?: string;
  pref?: string;
  metric?: number;
}

export interface KernelState {
  /** The container interface, undefined when it does not exist. */
  pod?: LinkState;
  podRoutes: RouteState[];
  /** The host-side veth, undefined when it does not exist. */
  hostVeth?: LinkState;
}

export interface Expected {
  ifname: string;
  mac?: string;
  mtu?: number;
  addresses: string[];
  routes: CniRoute[];
  hostVeth: string;
  bridge: string;
  hairpin: boolean;
}

/** What CHECK expects, from the config and the result of the ADD. */
export function expectedFrom(conf: BridgeConf, inv: CniInvocation, prev: CniResult): Expected {
  const idx = prev.interfaces.findIndex(
    (i) => i.name === inv.ifname && (!i.sandbox || i.sandbox === inv.netns),
  );
  if (idx < 0) {
    throw new CniError(
      CniCode.CheckFailed,
      `prevResult lists no interface ${inv.ifname} in sandbox ${inv.netns}; it is not the result of this plugin's ADD`,
    );
  }
  const e: Expected = {
    ifname: inv.ifname,
    addresses: prev.ips.filter((ip) => ip.interface === idx).map((ip) => ip.address),
    routes: prev.routes,
    hostVeth: hostVethName(inv.containerId, inv.ifname),
    bridge: conf.bridge,
    hairpin: conf.hairpinMode,
  };
  const mac = prev.interfaces[idx]!.mac;
  if (mac) e.mac = mac;
  if (conf.mtu !== undefined) e.mtu = conf.mtu;
  return e;
}

function routeDst(r: RouteState): string {
  if (r.dst === "default") return r.gateway?.includes(":") || r.pref ? "::/0" : "0.0.0.0/0";
  const withPrefix = r.dst.includes("/") ? r.dst : `${r.dst}/${r.dst.includes(":") ? 128 : 32}`;
  return formatCidr(parseCidr(withPrefix));
}

function tableId(t: string | undefined): number {
  if (t === undefined || t === "main") return 254;
  if (t === "local") return 255;
  return Number(t);
}

export function driftOf(e: Expected, o: KernelState): string[] {
  const problems: string[] = [];
  if (!o.pod) problems.push(`interface ${e.ifname} is missing from the container`);
  else {
    if (o.pod.linkinfo?.info_kind !== "veth") {
      problems.push(`${e.ifname} is a ${o.pod.linkinfo?.info_kind ?? "non-veth"} device, not a veth`);
    }
    if (e.mac && o.pod.address?.toLowerCase() !== e.mac.toLowerCase()) {
      problems.push(`${e.ifname} has MAC ${o.pod.address}, expected ${e.mac}`);
    }
    if (e.mtu !== undefined && o.pod.mtu !== e.mtu)
      problems.push(`${e.ifname} has MTU ${o.pod.mtu}, expected ${e.mtu}`);
    const have = new Set((o.pod.addr_info ?? []).map((a) => `${canonicalIp(a.local)}/${a.prefixlen}`));
    for (const addr of e.addresses) {
      const [ip, len] = addr.split("/");
      if (!have.has(`${canonicalIp(ip!)}/${len}`))
        problems.push(`address ${addr} is missing from ${e.ifname}`);
    }
    const routes = new Set(
      o.podRoutes.map((r) => `${routeDst(r)}|${r.gateway ? canonicalIp(r.gateway) : ""}|${tableId(r.table)}`),
    );
    for (const r of e.routes) {
      const key = `${formatCidr(parseCidr(r.dst))}|${r.gw ? canonicalIp(r.gw) : ""}|${r.table ?? 254}`;
      if (!routes.has(key))
        problems.push(`route ${r.dst}${r.gw ? ` via ${r.gw}` : ""} is missing in the container`);
    }
  }
  if (!o.hostVeth) problems.push(`host-side veth ${e.hostVeth} is missing`);
  else {
    if (o.hostVeth.master !== e.bridge) {
      problems.push(
        `host-side veth ${e.hostVeth} is ${o.hostVeth.master ? `on ${o.hostVeth.master}` : "on no bridge"}, expected ${e.bridge}`,
      );
    }
    const hairpin = o.hostVeth.linkinfo?.info_slave_data?.hairpin ?? false;
    if (o.hostVeth.master === e.bridge && hairpin !== e.hairpin) {
      problems.push(
        `hairpin mode is ${hairpin ? "on" : "off"} on ${e.hostVeth}, expected ${e.hairpin ? "on" : "off"}`,
      );
    }
  }
  return problems;
}

async function showOrMissing(ip: IpRunner, ns: NsRef, lines: string[]): Promise<unknown[] | undefined> {
  try {
    return await ip.batch(ns, lines, { json: true, details: true });
  } catch (e) {
    if (e instanceof BatchError && e.line === 1 && /(Cannot find device|does not exist)/.test(e.kernelSays))
      return undefined;
    throw e;
  }
}

export async function readObserved(
  ip: IpRunner,
  host: NsRef,
  e: Expected,
  podNetns: string,
): Promise<KernelState> {
  const [pod, hostSide] = await Promise.all([
    showOrMissing(ip, nsFromPath(podNetns), [
      `addr show dev ${e.ifname}`,
      `route show table all dev ${e.ifname}`,
    ]),
    showOrMissing(ip, host, [`link show dev ${e.hostVeth}`]),
  ]);
  const o: KernelState = { podRoutes: (pod?.[1] ?? []) as RouteState[] };
  const podLink = (pod?.[0] as LinkState[] | undefined)?.[0];
  if (podLink) o.pod = podLink;
  const hostLink = (hostSide?.[0] as LinkState[] | undefined)?.[0];
  if (hostLink) o.hostVeth = hostLink;
  return o;
}
