/**
 * The pod's datapath as data: from what IPAM handed out and the bridge config, the exact
 * `ip -batch` lines for the host namespace and for the pod's namespace. Pure, so the kernel
 * work per ADD is fixed here and tested without root: one batch per namespace.
 *
 * Host batch (ADD), ordered so the first failure changes nothing:
 *   1 link show dev BR          asserts the bridge exists (and prints its MAC) - a failure here
 *                               means "create the bridge first" (bridgeCreateLines)
 *   2 link add HV ... peer name IFNAME ... netns PODNS
 *                               the veth, pod end created directly inside the pod netns; fails
 *                               with "File exists" when either end exists, before any change
 *   then bridge up/MTU/gateway addresses, HV enslaved, hairpin, up, and `link show dev HV`.
 * Pod batch: lo up, addresses, IFNAME up, routes.
 */
import { parseIpWithPrefix } from "../ipam/cidr.js";
import type { CniRoute } from "./result.js";

export interface PodAttachment {
  bridge: string;
  /** Bridge MAC to pin when the bridge is created. */
  bridgeMac: string;
  mtu?: number;
  hostVeth: string;
  ifname: string;
  /** Path of the pod's netns, as `ip link ... netns` accepts it. */
  podNetns: string;
  podMac: string;
  /** Pod addresses with prefix ("10.244.1.5/24"). */
  addresses: string[];
  /** Addresses to put on the bridge ("10.244.1.1/24"): the gateways, when isGateway. */
  bridgeAddresses: string[];
  /** Routes in the pod, gateways already resolved. */
  routes: CniRoute[];
  hairpin: boolean;
}

/** Index (1-based) of the veth creation line in hostAttachLines: "File exists" there means the interface exists. */
export const VETH_ADD_LINE = 2;

const isV6 = (cidrOrIp: string) => cidrOrIp.includes(":");

function mtuArg(mtu: number | undefined): string {
  return mtu ? ` mtu ${mtu}` : "";
}

export function bridgeCreateLines(a: PodAttachment): string[] {
  return [
    `link add name ${a.bridge} address ${a.bridgeMac}${mtuArg(a.mtu)} type bridge`,
    `link set ${a.bridge} up`,
  ];
}

export function hostAttachLines(a: PodAttachment): string[] {
  const lines = [
    `link show dev ${a.bridge}`,
    `link add ${a.hostVeth}${mtuArg(a.mtu)} type veth peer name ${a.ifname}${mtuArg(a.mtu)} address ${a.podMac} netns ${a.podNetns}`,
    `link set ${a.bridge}${mtuArg(a.mtu)} up`,
  ];
  for (const addr of a.bridgeAddresses)
    lines.push(`addr replace ${addr} dev ${a.bridge}${isV6(addr) ? " nodad" : ""}`);
  lines.push(`link set ${a.hostVeth} master ${a.bridge}`);
  if (a.hairpin) lines.push(`link set ${a.hostVeth} type bridge_slave hairpin on`);
  lines.push(`link set ${a.hostVeth} up`, `link show dev ${a.hostVeth}`);
  return lines;
}

export function routeLine(r: CniRoute, dev: string): string {
  let line = `route add ${r.dst}`;
  if (r.gw) line += ` via ${r.gw}`;
  line += ` dev ${dev}`;
  if (r.table !== undefined) line += ` table ${r.table}`;
  if (r.priority !== undefined) line += ` metric ${r.priority}`;
  if (r.scope !== undefined) line += ` scope ${r.scope}`;
  if (r.mtu !== undefined) line += ` mtu ${r.mtu}`;
  if (r.advmss !== undefined) line += ` advmss ${r.advmss}`;
  return line;
}

export function podLines(a: PodAttachment): string[] {
  const lines = ["link set lo up"];
  for (const addr of a.addresses) lines.push(`addr add ${addr} dev ${a.ifname}${isV6(addr) ? " nodad" : ""}`);
  lines.push(`link set ${a.ifname} up`);
  for (const r of a.routes) lines.push(routeLine(r, a.ifname));
  return lines;
}

/** The default route's destination for the family of `ip`. */
export function defaultDst(ip: string): string {
  return isV6(ip) ? "::/0" : "0.0.0.0/0";
}

/**
 * The pod's routes: IPAM's routes (a route without gw goes via the gateway of its family, as
 * the reference bridge does) plus a default route per family with a gateway when
 * isDefaultGateway; duplicates (same dst and table) are dropped, first one wins.
 */
export function podRoutes(ipamRoutes: CniRoute[], gateways: string[], isDefaultGateway: boolean): CniRoute[] {
  const gwFor = (dst: string) => gateways.find((g) => isV6(g) === isV6(dst));
  const out: CniRoute[] = [];
  const seen = new Set<string>();
  const push = (r: CniRoute) => {
    const key = `${parseIpWithPrefix(r.dst).cidr.network}/${r.dst.split("/")[1]}|${isV6(r.dst)}|${r.table ?? ""}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(r);
  };
  if (isDefaultGateway) for (const gw of gateways) push({ dst: defaultDst(gw), gw });
  for (const r of ipamRoutes) {
    const gw = r.gw ?? gwFor(r.dst);
    push(gw ? { ...r, gw } : { ...r });
  }
  return out;
}
