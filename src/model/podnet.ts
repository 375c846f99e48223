/**
 * The pod network of one node as data: what a backend wants the node's kernel to hold so that
 * pods on every node reach each other, and nodes reach pods, without NAT.
 *
 * A backend turns (this node, its peers, options) into a NodePodNetwork: links, addresses,
 * routes, neighbour (ARP) entries, VXLAN FDB entries and sysctls. The value is plain data,
 * deterministic for a given input (peers sorted by name), so it can be unit tested, diffed
 * against the kernel by the applier (src/kernel/podnet-plan.ts), and read by the analyzer.
 *
 * Ownership, so that reconciling never touches what flatnet did not make:
 * - links: a link is flatnet's when its alias (IFLA_IFALIAS) is `flatnet:<backend>`;
 * - addresses, neighbours and FDB entries: those on flatnet's links;
 * - routes: those in the main table with protocol FLATNET_ROUTE_PROTO (Calico marks its
 *   routes with a protocol number the same way; iproute2 prints unnamed numbers as is);
 * - sysctls: only the keys listed; they are set, never reset (per-device keys go with the
 *   device).
 */
import { cidrsOverlap, formatCidr, formatIp, parseCidr, parseIp } from "../ipam/cidr.js";
import { UserError } from "../util/errors.js";

/** What a backend needs to know about a node (its own or a peer). */
export interface NodeNetInfo {
  name: string;
  /** The node's underlay address (eth0), e.g. "172.18.0.2". */
  nodeIP: string;
  /** The node's pod subnet, e.g. "10.244.1.0/24". */
  podCIDR: string;
  /**
   * MAC of the node's VXLAN device. Published by the node itself (Flannel keeps it in the Node
   * annotation flannel.alpha.coreos.com/backend-data); when absent, peers derive it from the
   * node name with vtepMACFor(name), which is what the node itself uses, so both agree.
   */
  vtepMAC?: string;
  /** The on-link subnet of the node's eth0, e.g. "172.18.0.0/16" (host-gw checks L2 reach). */
  underlaySubnet?: string;
}

/** Routes flatnet installs carry this protocol number ("proto 241" in `ip route`). */
export const FLATNET_ROUTE_PROTO = 241;

/** Links flatnet creates carry the alias `flatnet:<backend>`. */
export const OWNED_LINK_ALIAS_PREFIX = "flatnet:";

export interface VxlanLinkSpec {
  kind: "vxlan";
  name: string;
  /** Ownership marker, `flatnet:<backend>`. */
  alias: string;
  mtu: number;
  mac: string;
  vni: number;
  /** UDP destination port. */
  port: number;
  /** Source address of the outer packets (the node IP). */
  local: string;
  /** Underlay device the outer packets leave by. */
  dev: string;
  /** Always false: entries are programmed, never learned from traffic. */
  learning: false;
}

/** Links a backend can ask for (a union, so later backends add their own kinds). */
export type LinkSpec = VxlanLinkSpec;

export interface AddressSpec {
  dev: string;
  /** Address with prefix, e.g. "10.244.1.0/32". */
  address: string;
}

export interface RouteSpec {
  /** Destination CIDR, e.g. "10.244.2.0/24". */
  dst: string;
  via: string;
  dev: string;
  /** The gateway is on the link even though no address of `dev` covers it (VXLAN /32). */
  onlink: boolean;
}

export interface NeighbourSpec {
  dev: string;
  ip: string;
  lladdr: string;
}

export interface FdbSpec {
  dev: string;
  mac: string;
  /** Underlay address that frames for `mac` are sent to. */
  dst: string;
}

export interface SysctlSpec {
  /** Slash form (net/ipv4/conf/all/rp_filter), safe for device names with dots. */
  key: string;
  value: string;
}

export interface NodePodNetwork {
  /** Name of the backend that computed it ("vxlan", "host-gw"), or "none". */
  backend: string;
  links: LinkSpec[];
  addresses: AddressSpec[];
  routes: RouteSpec[];
  neighbours: NeighbourSpec[];
  fdb: FdbSpec[];
  sysctls: SysctlSpec[];
}

/** A network with nothing in it: applying it removes everything flatnet owns on the node. */
export function emptyPodNetwork(): NodePodNetwork {
  return { backend: "none", links: [], addresses: [], routes: [], neighbours: [], fdb: [], sysctls: [] };
}

/**
 * Sysctls every node needs for the Kubernetes model without NAT. `asymmetricDevs` are the
 * interfaces where traffic can arrive from a source that the node routes back through
 * another interface (eth0 and, with vxlan, flannel.1).
 */
export function nodeSysctls(asymmetricDevs: string[]): SysctlSpec[] {
  return [
    // The node routes between its pods (cni0), the overlay (flannel.1) and the underlay (eth0).
    { key: "net/ipv4/ip_forward", value: "1" },
    // Reverse-path filtering off where paths are asymmetric. Without NAT, a pod on node B talking
    // to node A's IP arrives at A on eth0 (the underlay routes it directly) while A's route back
    // to B's pods is flannel.1; a node IP-sourced packet tunnelled to a remote pod arrives on
    // flannel.1 while the way back is eth0. Strict mode (1: the default on some distributions,
    // and new namespaces and interfaces inherit it) drops both. Loose mode (2) would pass them
    // but costs a second FIB lookup per routed packet (measured: ~3-5% of request/response
    // rate); off (0) takes the kernel's fast path, as Cilium does for its devices. The
    // effective value is max(all, <dev>), so `all` is lowered too; other interfaces keep
    // theirs (cni0 sees only symmetric traffic: its pods' addresses route back through it).
    { key: "net/ipv4/conf/all/rp_filter", value: "0" },
    ...asymmetricDevs.map((dev) => ({ key: `net/ipv4/conf/${dev}/rp_filter`, value: "0" })),
  ];
}

export interface CheckedNodes {
  self: NodeNetInfo;
  /** Peers other than self, sorted by name. */
  peers: NodeNetInfo[];
}

/**
 * Validate a node and its peers for a backend: parseable IPv4 addresses, unique names and node
 * IPs, pod CIDRs that do not overlap. The peer list may contain self (it is dropped), so the
 * caller can pass every node of the cluster.
 */
export function checkNodes(backend: string, self: NodeNetInfo, peers: NodeNetInfo[]): CheckedNodes {
  const others = peers
    .filter((p) => p.name !== self.name)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const all = [self, ...others];
  const seenNames = new Set<string>();
  const seenIPs = new Map<string, string>();
  const cidrs: { node: string; text: string; cidr: ReturnType<typeof parseCidr> }[] = [];
  for (const node of all) {
    if (seenNames.has(node.name)) {
      throw new UserError(`${backend}: node "${node.name}" is listed twice`, "pass each node once");
    }
    seenNames.add(node.name);
    const ip = parseIp(node.nodeIP);
    const cidr = parseCidr(node.podCIDR);
    if (ip.family !== 4 || cidr.family !== 4) {
      throw new UserError(
        `${backend}: node "${node.name}" has IPv6 addressing (node IP ${node.nodeIP}, podCIDR ${node.podCIDR}); flatnet's pod network backends support IPv4 only so far`,
        "use an IPv4 node IP and podCIDR",
      );
    }
    const owner = seenIPs.get(node.nodeIP);
    if (owner !== undefined) {
      throw new UserError(
        `${backend}: nodes "${owner}" and "${node.name}" have the same node IP ${node.nodeIP}`,
        "give every node its own underlay address",
      );
    }
    seenIPs.set(node.nodeIP, node.name);
    for (const other of cidrs) {
      if (cidrsOverlap(other.cidr, cidr)) {
        throw new UserError(
          `${backend}: podCIDRs of nodes "${other.node}" (${other.text}) and "${node.name}" (${node.podCIDR}) overlap`,
          "give every node a distinct podCIDR from the cluster CIDR",
        );
      }
    }
    cidrs.push({ node: node.name, text: node.podCIDR, cidr });
  }
  return { self: all[0]!, peers: all.slice(1) };
}

/** The podCIDR in canonical form ("10.244.1.0/24") and its network address ("10.244.1.0"). */
export function podSubnet(node: NodeNetInfo): { cidr: string; network: string } {
  const cidr = parseCidr(node.podCIDR);
  return { cidr: formatCidr(cidr), network: formatIp(cidr.family, cidr.network) };
}
