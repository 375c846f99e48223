/**
 * From a bridge config, the invocation and IPAM's answer to the pod's desired attachment
 * (PodAttachment, fed to plan.ts) and to the ADD result the runtime gets back. Pure.
 *
 * Gateways: IPAM's gateway per address, else the subnet's first address (host-local's
 * default). With isGateway each gateway goes on the bridge with the pod subnet's prefix, so
 * the node routes to its pods and pods reach the node.
 */
import { formatIp, parseIpWithPrefix } from "../ipam/cidr.js";
import type { BridgeConf } from "./config.js";
import type { CniInvocation } from "./env.js";
import { hostVethName, macForIpv4, podMac } from "./names.js";
import { type PodAttachment, podRoutes } from "./plan.js";
import type { CniIpConfig, CniResult } from "./result.js";

export function gatewayOf(ip: CniIpConfig): string {
  if (ip.gateway) return ip.gateway;
  const p = parseIpWithPrefix(ip.address);
  return formatIp(p.family, p.cidr.network + 1n);
}

function bridgeMacFor(bridge: string, gateways: string[]): string {
  const v4 = gateways.find((g) => !g.includes(":"));
  if (v4) return macForIpv4(v4);
  return podMac([], "bridge", bridge);
}

export function desiredAttachment(conf: BridgeConf, inv: CniInvocation, ipam: CniResult): PodAttachment {
  const addresses = ipam.ips.map((ip) => ip.address);
  const gateways = ipam.ips.map(gatewayOf);
  const a: PodAttachment = {
    bridge: conf.bridge,
    bridgeMac: bridgeMacFor(conf.bridge, gateways),
    hostVeth: hostVethName(inv.containerId, inv.ifname),
    ifname: inv.ifname,
    podNetns: inv.netns,
    podMac: podMac(addresses, inv.containerId, inv.ifname),
    addresses,
    bridgeAddresses: conf.isGateway
      ? ipam.ips.map((ip, i) => `${gateways[i]}/${ip.address.split("/")[1]}`)
      : [],
    routes: podRoutes(ipam.routes, conf.isGateway ? gateways : [], conf.isDefaultGateway),
    hairpin: conf.hairpinMode,
  };
  if (conf.mtu !== undefined) a.mtu = conf.mtu;
  return a;
}

/** Kernel facts only known after the host batch ran. */
export interface Observed {
  bridgeMac: string;
  hostVethMac: string;
}

/**
 * The ADD result: interfaces [bridge, host veth, pod interface], the pod's addresses pointing
 * at the pod interface, the routes installed, and DNS from the config (else from IPAM). A
 * prevResult (a plugin ran before this one) is kept in front, indices shifted.
 */
export function addResult(
  conf: BridgeConf,
  a: PodAttachment,
  ipam: CniResult,
  seen: Observed,
  prev: CniResult | undefined,
): CniResult {
  const base = prev ?? { cniVersion: conf.cniVersion, interfaces: [], ips: [], routes: [], dns: {} };
  const first = base.interfaces.length;
  const podIf: CniResult["interfaces"][number] = { name: a.ifname, mac: a.podMac, sandbox: a.podNetns };
  if (a.mtu !== undefined) podIf.mtu = a.mtu;
  const hostIf: CniResult["interfaces"][number] = { name: a.hostVeth, mac: seen.hostVethMac };
  if (a.mtu !== undefined) hostIf.mtu = a.mtu;
  return {
    cniVersion: conf.cniVersion,
    interfaces: [...base.interfaces, { name: a.bridge, mac: seen.bridgeMac }, hostIf, podIf],
    ips: [
      ...base.ips,
      ...ipam.ips.map((ip) => ({ address: ip.address, gateway: gatewayOf(ip), interface: first + 2 })),
    ],
    routes: [...base.routes, ...a.routes],
    dns: conf.dns ?? (Object.keys(ipam.dns).length ? ipam.dns : base.dns),
  };
}
