/**
 * Node podCIDR allocation, like kube-controller-manager's range allocator: the cluster CIDR
 * is cut into blocks of the node mask size (/24 by default for IPv4, /64 for IPv6) and a new
 * node gets the lowest free block. A node keeps the block it has; a Node that arrives with
 * spec.podCIDR already set keeps that block when it is a free block of the cluster CIDR,
 * else the request is rejected with the reason. Blocks are freed when their node goes.
 *
 * Pure and serialisable (toJSON/fromJSON); one allocator per IP family (dual-stack clusters
 * run one for each cluster CIDR).
 */

import { UserError } from "../util/errors.js";
import {
  type Cidr,
  cidrContains,
  familyBits,
  formatCidr,
  parseCidr,
  parseIpWithPrefix,
  subdivide,
  subnetCount,
} from "./cidr.js";
import { RangeFullError } from "./errors.js";

export interface NodeCidrState {
  clusterCidr: string;
  nodeMaskSize: number;
  /** Node name -> its podCIDR. */
  nodes: Record<string, string>;
}

export function defaultNodeMaskSize(family: 4 | 6): number {
  return family === 4 ? 24 : 64;
}

export class NodeCidrAllocator {
  readonly clusterCidr: Cidr;
  readonly nodeMaskSize: number;
  private readonly byIndex = new Map<bigint, string>();
  private readonly byNode = new Map<string, bigint>();

  constructor(clusterCidr: string | Cidr, nodeMaskSize?: number) {
    this.clusterCidr =
      typeof clusterCidr === "string" ? parseCidr(clusterCidr, { strict: true }) : clusterCidr;
    this.nodeMaskSize = nodeMaskSize ?? defaultNodeMaskSize(this.clusterCidr.family);
    const bits = familyBits(this.clusterCidr.family);
    if (
      !Number.isInteger(this.nodeMaskSize) ||
      this.nodeMaskSize < this.clusterCidr.prefix ||
      this.nodeMaskSize > bits
    ) {
      throw new UserError(
        `node CIDR mask size ${this.nodeMaskSize} does not fit cluster CIDR ${formatCidr(this.clusterCidr)}`,
        `choose a nodeCIDRMaskSize between ${this.clusterCidr.prefix} and ${bits}`,
      );
    }
  }

  /** How many node blocks the cluster CIDR holds. */
  get capacity(): bigint {
    return subnetCount(this.clusterCidr, this.nodeMaskSize);
  }

  get used(): number {
    return this.byNode.size;
  }

  lookup(node: string): Cidr | undefined {
    const index = this.byNode.get(node);
    return index === undefined ? undefined : this.block(index);
  }

  /**
   * The node's podCIDR: the one it already has, its requested one (spec.podCIDR) if that is
   * a free block of the cluster CIDR, else the lowest free block.
   */
  allocate(node: string, requested?: string): Cidr {
    const own = this.byNode.get(node);
    if (requested !== undefined && requested !== "") {
      const index = this.requestedIndex(node, requested);
      if (own !== undefined && own !== index) {
        throw new UserError(
          `cannot give node ${node} podCIDR ${requested}: it already has ${formatCidr(this.block(own))}`,
          "a node's podCIDR cannot change; delete and re-create the Node to move it",
        );
      }
      const holder = this.byIndex.get(index);
      if (holder !== undefined && holder !== node) {
        throw new UserError(
          `cannot give node ${node} podCIDR ${requested}: it is already allocated to node ${holder}`,
          "remove spec.podCIDR to get a free block, or choose a free one",
        );
      }
      this.assign(node, index);
      return this.block(index);
    }
    if (own !== undefined) return this.block(own);
    let index = 0n;
    while (this.byIndex.has(index)) index++;
    if (index >= this.capacity) {
      throw new RangeFullError(
        `no free /${this.nodeMaskSize} left in cluster CIDR ${formatCidr(this.clusterCidr)} for node ${node}: all ${this.capacity} are allocated`,
        "remove unused nodes, use a larger podSubnet, or a longer nodeCIDRMaskSize",
      );
    }
    this.assign(node, index);
    return this.block(index);
  }

  /** Free the node's block; false when it had none. */
  release(node: string): boolean {
    const index = this.byNode.get(node);
    if (index === undefined) return false;
    this.byNode.delete(node);
    this.byIndex.delete(index);
    return true;
  }

  /** Every node and its podCIDR, in address order. */
  assignments(): Array<{ node: string; cidr: Cidr }> {
    return [...this.byIndex.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([index, node]) => ({ node, cidr: this.block(index) }));
  }

  toJSON(): NodeCidrState {
    const nodes: Record<string, string> = {};
    for (const { node, cidr } of this.assignments()) nodes[node] = formatCidr(cidr);
    return { clusterCidr: formatCidr(this.clusterCidr), nodeMaskSize: this.nodeMaskSize, nodes };
  }

  static fromJSON(state: NodeCidrState): NodeCidrAllocator {
    const a = new NodeCidrAllocator(state.clusterCidr, state.nodeMaskSize);
    for (const [node, cidr] of Object.entries(state.nodes)) a.allocate(node, cidr);
    return a;
  }

  private requestedIndex(node: string, requested: string): bigint {
    const address = parseIpWithPrefix(requested);
    const cidr = address.cidr;
    const reject = (why: string): never => {
      throw new UserError(
        `cannot give node ${node} podCIDR ${requested}: ${why}`,
        "remove spec.podCIDR to get a free block",
      );
    };
    if (address.value !== cidr.network) reject(`host bits are set (the block is ${formatCidr(cidr)})`);
    if (cidr.family !== this.clusterCidr.family || !cidrContains(this.clusterCidr, cidr.network)) {
      reject(`it is outside the cluster CIDR ${formatCidr(this.clusterCidr)}`);
    }
    if (cidr.prefix !== this.nodeMaskSize) {
      reject(`its mask /${cidr.prefix} differs from the node mask size /${this.nodeMaskSize}`);
    }
    const step = 1n << BigInt(familyBits(cidr.family) - this.nodeMaskSize);
    return (cidr.network - this.clusterCidr.network) / step;
  }

  private assign(node: string, index: bigint): void {
    this.byNode.set(node, index);
    this.byIndex.set(index, node);
  }

  private block(index: bigint): Cidr {
    return subdivide(this.clusterCidr, this.nodeMaskSize, index);
  }
}
