/**
 * host-gw: pod traffic rides the underlay unencapsulated, routed hop by hop by the nodes.
 *
 * Each node gets, per peer, `<peer podCIDR> via <peer node IP> dev eth0`: the peer node is the
 * gateway for its pods. The packet keeps its pod source and destination addresses on the wire
 * (no tunnel, no NAT), so the MTU is the underlay's and nothing is added per packet.
 *
 * This works only when every peer's node IP is directly reachable on eth0's segment: a
 * gateway must be on-link, and a router between the nodes would not know the pod subnets.
 * desired() therefore refuses a peer outside this node's underlay subnet, naming both nodes,
 * instead of installing a route the kernel rejects or that blackholes traffic. vxlan has no
 * such limit because it tunnels to the peer's node IP, which the underlay can route.
 */
import { cidrContains, parseCidr, parseIp } from "../ipam/cidr.js";
import {
  checkNodes,
  type NodeNetInfo,
  type NodePodNetwork,
  nodeSysctls,
  podSubnet,
} from "../model/podnet.js";
import { UserError } from "../util/errors.js";
import { checkUnderlayMTU } from "./mtu.js";
import { type BackendOptions, DEFAULT_BACKEND_OPTIONS, type PodNetworkBackend } from "./types.js";

/** Whether `peer`'s node IP lies in the on-link subnet of `self`'s underlay interface. */
export function sharesL2Segment(self: NodeNetInfo, peer: NodeNetInfo): boolean {
  if (self.underlaySubnet === undefined) {
    throw new UserError(
      `host-gw: node "${self.name}" has no underlaySubnet, so it cannot tell which peers are on its L2 segment`,
      'set underlaySubnet to the subnet of its eth0 address (e.g. "172.18.0.0/16")',
    );
  }
  return cidrContains(parseCidr(self.underlaySubnet), parseIp(peer.nodeIP));
}

/** Throws the UserError host-gw gives for a peer that is not on this node's segment. */
export function checkHostGwPeers(self: NodeNetInfo, peers: NodeNetInfo[]): void {
  if (!sharesL2Segment(self, self)) {
    throw new UserError(
      `host-gw: node "${self.name}" has node IP ${self.nodeIP} outside its own underlaySubnet ${self.underlaySubnet}`,
      "set underlaySubnet to the subnet of the node's eth0 address",
    );
  }
  for (const peer of peers) {
    if (peer.name === self.name || sharesL2Segment(self, peer)) continue;
    throw new UserError(
      `host-gw cannot reach node "${peer.name}" (node IP ${peer.nodeIP}, pods ${peer.podCIDR}) from node "${self.name}" (node IP ${self.nodeIP} on ${self.underlaySubnet}, pods ${self.podCIDR}): they are not on one L2 segment, and host-gw routes pod traffic to the peer's node IP as an on-link gateway`,
      "use --backend vxlan, which tunnels across routed underlays, or put all nodes in one subnet",
    );
  }
}

function desired(self: NodeNetInfo, peers: NodeNetInfo[], options?: Partial<BackendOptions>): NodePodNetwork {
  const opts = { ...DEFAULT_BACKEND_OPTIONS, ...options };
  const checked = checkNodes("host-gw", self, peers);
  checkUnderlayMTU("host-gw", opts.underlayMTU, 0);
  checkHostGwPeers(checked.self, checked.peers);
  return {
    backend: "host-gw",
    links: [],
    addresses: [],
    routes: checked.peers.map((peer) => ({
      dst: podSubnet(peer).cidr,
      via: peer.nodeIP,
      dev: opts.underlayDev,
      onlink: false,
    })),
    neighbours: [],
    fdb: [],
    sysctls: nodeSysctls([opts.underlayDev]),
  };
}

export const hostGw: PodNetworkBackend = {
  name: "host-gw",
  description:
    "routes to each peer's podCIDR via its node IP, no encapsulation; nodes must share one L2 segment",
  overhead: 0,
  desired,
};
