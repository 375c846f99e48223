/**
 * vxlan: Flannel's VXLAN backend, wire-compatible with it.
 *
 * Each node has one VXLAN device, flannel.1 (VNI 1, UDP 8472, outer source = node IP, leaving
 * by eth0, learning off), whose MTU is the underlay's minus 50 bytes of outer headers
 * (14 Ethernet + 20 IPv4 + 8 UDP + 8 VXLAN). The device holds the node's podCIDR network
 * address as a /32 (10.244.1.0/32): it gives the node a source address on the overlay
 * without claiming the subnet, which belongs to cni0.
 *
 * Nothing is learned or flooded. For each peer the node gets three static entries:
 *   route  <peer podCIDR> via <peer podCIDR network address> dev flannel.1 onlink
 *   neigh  <peer podCIDR network address> lladdr <peer VTEP MAC> dev flannel.1 (permanent)
 *   fdb    <peer VTEP MAC> dst <peer node IP> dev flannel.1 (permanent)
 * so a packet to a remote pod is routed to the peer's gateway address, which resolves to the
 * peer's VTEP MAC without ARP, whose FDB entry names the underlay address to tunnel to.
 * "onlink" is needed because no address on flannel.1 covers the gateway.
 */
import {
  checkNodes,
  type FdbSpec,
  type NeighbourSpec,
  type NodeNetInfo,
  type NodePodNetwork,
  nodeSysctls,
  OWNED_LINK_ALIAS_PREFIX,
  podSubnet,
  type RouteSpec,
} from "../model/podnet.js";
import { checkUnderlayMTU } from "./mtu.js";
import { type BackendOptions, DEFAULT_BACKEND_OPTIONS, type PodNetworkBackend } from "./types.js";
import { vtepMACOf } from "./vtep.js";

export const VXLAN_DEVICE = "flannel.1";
export const VXLAN_VNI = 1;
export const VXLAN_PORT = 8472;
/** Outer Ethernet (14) + IPv4 (20) + UDP (8) + VXLAN (8) headers. */
export const VXLAN_OVERHEAD = 50;

function desired(self: NodeNetInfo, peers: NodeNetInfo[], options?: Partial<BackendOptions>): NodePodNetwork {
  const opts = { ...DEFAULT_BACKEND_OPTIONS, ...options };
  const checked = checkNodes("vxlan", self, peers);
  checkUnderlayMTU("vxlan", opts.underlayMTU, VXLAN_OVERHEAD);
  const own = podSubnet(checked.self);
  const routes: RouteSpec[] = [];
  const neighbours: NeighbourSpec[] = [];
  const fdb: FdbSpec[] = [];
  for (const peer of checked.peers) {
    const subnet = podSubnet(peer);
    const mac = vtepMACOf(peer);
    routes.push({ dst: subnet.cidr, via: subnet.network, dev: VXLAN_DEVICE, onlink: true });
    neighbours.push({ dev: VXLAN_DEVICE, ip: subnet.network, lladdr: mac });
    fdb.push({ dev: VXLAN_DEVICE, mac, dst: peer.nodeIP });
  }
  return {
    backend: "vxlan",
    links: [
      {
        kind: "vxlan",
        name: VXLAN_DEVICE,
        alias: `${OWNED_LINK_ALIAS_PREFIX}vxlan`,
        mtu: opts.underlayMTU - VXLAN_OVERHEAD,
        mac: vtepMACOf(checked.self),
        vni: VXLAN_VNI,
        port: VXLAN_PORT,
        local: checked.self.nodeIP,
        dev: opts.underlayDev,
        learning: false,
      },
    ],
    addresses: [{ dev: VXLAN_DEVICE, address: `${own.network}/32` }],
    routes,
    neighbours,
    fdb,
    sysctls: nodeSysctls([opts.underlayDev, VXLAN_DEVICE]),
  };
}

export const vxlan: PodNetworkBackend = {
  name: "vxlan",
  description: "Flannel-compatible VXLAN overlay (flannel.1, VNI 1, UDP 8472); works across routed underlays",
  overhead: VXLAN_OVERHEAD,
  desired,
};
