/**
 * ClusterIP allocation from the service CIDR, as the Kubernetes API server does it:
 * - usable addresses are network+1 .. last (IPv4 also skips its broadcast address);
 * - the first usable address belongs to `default/kubernetes` and the tenth to cluster DNS
 *   (kubeadm's convention), reserved up front unless told otherwise;
 * - a requested clusterIP is honoured when it is in range and free, else rejected with why;
 * - dynamic allocation is random, upper band first (KEP-3070: the lower
 *   min(max(16, size/16), 256) addresses are left for static requests).
 *
 * Pure and serialisable (toJSON/fromJSON); one allocator per IP family.
 */

import { UserError } from "../util/errors.js";
import { BandedAllocator, staticBandSize } from "./banded.js";
import { type Cidr, cidrSize, formatCidr, formatIp, parseCidr, parseIp } from "./cidr.js";
import { RangeFullError } from "./errors.js";
import type { RandomSource } from "./random.js";

export const KUBERNETES_SERVICE_OWNER = "default/kubernetes";
export const CLUSTER_DNS_OWNER = "kube-system/kube-dns";

const CLUSTER_IP_BAND = { min: 16n, max: 256n, step: 16n };

export interface ClusterIpOptions {
  /** Source of randomness for dynamic allocation (default Math.random). */
  random?: RandomSource;
  /** Reserve the first address for default/kubernetes and the tenth for cluster DNS (default true). */
  reserveWellKnown?: boolean;
}

export interface ClusterIpState {
  serviceCidr: string;
  /** Address -> owner ("namespace/name"). */
  allocations: Record<string, string>;
}

function toCidr(c: string | Cidr): Cidr {
  return typeof c === "string" ? parseCidr(c, { strict: true }) : c;
}

/** The address of the `kubernetes` Service: the first one of the service CIDR. */
export function kubernetesServiceIp(serviceCidr: string | Cidr): string {
  const c = toCidr(serviceCidr);
  return formatIp(c.family, c.network + 1n);
}

/** The cluster DNS address by kubeadm's convention: the tenth of the service CIDR. */
export function clusterDnsIp(serviceCidr: string | Cidr): string {
  const c = toCidr(serviceCidr);
  return formatIp(c.family, c.network + 10n);
}

export class ClusterIpAllocator {
  readonly cidr: Cidr;
  private readonly bands: BandedAllocator;
  private readonly byOwner = new Map<string, bigint>();
  /** Number of usable addresses (index 0 = network + 1). */
  readonly size: bigint;

  constructor(serviceCidr: string | Cidr, opts: ClusterIpOptions = {}) {
    this.cidr = toCidr(serviceCidr);
    const raw = cidrSize(this.cidr);
    this.size = this.cidr.family === 4 ? raw - 2n : raw - 1n;
    if (this.size < 1n) {
      throw new UserError(
        `service CIDR ${formatCidr(this.cidr)} has no usable address`,
        "use a larger serviceSubnet, e.g. 10.96.0.0/12",
      );
    }
    this.bands = new BandedAllocator(
      this.size,
      staticBandSize(raw, CLUSTER_IP_BAND),
      opts.random ?? Math.random,
    );
    if (opts.reserveWellKnown ?? true) {
      this.reserve(kubernetesServiceIp(this.cidr), KUBERNETES_SERVICE_OWNER);
      if (this.size >= 10n) this.reserve(clusterDnsIp(this.cidr), CLUSTER_DNS_OWNER);
    }
  }

  /** "10.96.0.1-10.111.255.254". */
  get rangeText(): string {
    const first = this.cidr.network + 1n;
    return `${formatIp(this.cidr.family, first)}-${formatIp(this.cidr.family, first + this.size - 1n)}`;
  }

  get used(): number {
    return this.bands.used;
  }

  get free(): bigint {
    return this.size - BigInt(this.bands.used);
  }

  ownerOf(ip: string): string | undefined {
    const index = this.indexOf(ip);
    return index === undefined ? undefined : this.bands.ownerOf(index);
  }

  ipOf(owner: string): string | undefined {
    const index = this.byOwner.get(owner);
    return index === undefined ? undefined : this.format(index);
  }

  /** Give a requested address to owner; returns it canonical. Idempotent for the same owner. */
  reserve(ip: string, owner: string): string {
    const parsed = parseIp(ip);
    const why = (reason: string, fix?: string): never => {
      throw new UserError(`cannot allocate ClusterIP ${ip} to ${owner}: ${reason}`, fix);
    };
    const range = `choose an address in ${this.rangeText} or leave clusterIP empty`;
    if (parsed.family !== this.cidr.family) {
      why(
        `it is IPv${parsed.family} but the service CIDR ${formatCidr(this.cidr)} is IPv${this.cidr.family}`,
        range,
      );
    }
    if (parsed.value === this.cidr.network)
      why(`it is the network address of ${formatCidr(this.cidr)}`, range);
    const index = this.indexOf(ip);
    if (index === undefined) {
      const last = this.cidr.network + cidrSize(this.cidr) - 1n;
      if (parsed.value === last) why(`it is the broadcast address of ${formatCidr(this.cidr)}`, range);
      why(`it is outside the service CIDR ${formatCidr(this.cidr)}`, range);
    }
    const i = index as bigint;
    const holder = this.bands.ownerOf(i);
    if (holder === owner) return this.format(i);
    if (holder !== undefined)
      why(`it is already allocated to ${holder}`, "choose another address or leave clusterIP empty");
    const own = this.byOwner.get(owner);
    if (own !== undefined) why(`${owner} already has ClusterIP ${this.format(own)}`, "release it first");
    this.bands.take(i, owner);
    this.byOwner.set(owner, i);
    return this.format(i);
  }

  /** A free address for owner (random, upper band first); the owner's existing one if it has one. */
  allocate(owner: string): string {
    const own = this.byOwner.get(owner);
    if (own !== undefined) return this.format(own);
    const index = this.bands.pickFree();
    if (index === undefined) {
      throw new RangeFullError(
        `no free ClusterIP in service CIDR ${formatCidr(this.cidr)} for ${owner}: all ${this.size} addresses are allocated`,
        "delete unused Services or use a larger serviceSubnet",
      );
    }
    this.bands.take(index, owner);
    this.byOwner.set(owner, index);
    return this.format(index);
  }

  /** Free an address; false when it was not allocated (or is not in this range). */
  release(ip: string): boolean {
    const index = this.indexOf(ip);
    if (index === undefined) return false;
    const owner = this.bands.ownerOf(index);
    if (owner === undefined) return false;
    this.bands.free(index);
    this.byOwner.delete(owner);
    return true;
  }

  toJSON(): ClusterIpState {
    const allocations: Record<string, string> = {};
    for (const [index, owner] of this.bands.entries()) allocations[this.format(index)] = owner;
    return { serviceCidr: formatCidr(this.cidr), allocations };
  }

  static fromJSON(
    state: ClusterIpState,
    opts: Omit<ClusterIpOptions, "reserveWellKnown"> = {},
  ): ClusterIpAllocator {
    const a = new ClusterIpAllocator(state.serviceCidr, { ...opts, reserveWellKnown: false });
    for (const [ip, owner] of Object.entries(state.allocations)) a.reserve(ip, owner);
    return a;
  }

  private indexOf(ip: string): bigint | undefined {
    const parsed = parseIp(ip);
    if (parsed.family !== this.cidr.family) return undefined;
    const index = parsed.value - this.cidr.network - 1n;
    return index >= 0n && index < this.size ? index : undefined;
  }

  private format(index: bigint): string {
    return formatIp(this.cidr.family, this.cidr.network + 1n + index);
  }
}
