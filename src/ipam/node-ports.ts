/**
 * NodePort allocation, as the Kubernetes API server does it: a port range (default
 * 30000-32767, configurable "A-B"); a requested nodePort is honoured when in range and free,
 * else rejected naming the port and who has it; dynamic allocation is random, upper band
 * first (KEP-3668: the lower min(max(16, size/32), 128) ports are left for static requests).
 *
 * Unlike ClusterIPs, one owner (a Service) may hold several ports, one per service port, so
 * allocate() always hands out a new port; reserve() of a port the owner already holds is a
 * no-op, which is how one Service uses the same nodePort for TCP and UDP.
 *
 * Pure and serialisable (toJSON/fromJSON).
 */

import { UserError } from "../util/errors.js";
import { BandedAllocator, staticBandSize } from "./banded.js";
import { RangeFullError } from "./errors.js";
import type { RandomSource } from "./random.js";

export const DEFAULT_NODE_PORT_RANGE = "30000-32767";

const NODE_PORT_BAND = { min: 16n, max: 128n, step: 32n };

export interface PortRange {
  min: number;
  max: number;
}

export interface NodePortState {
  range: string;
  /** Port (as text, JSON keys are strings) -> owner ("namespace/name"). */
  allocations: Record<string, string>;
}

/** Parse "30000-32767". */
export function parsePortRange(text: string): PortRange {
  const m = /^([0-9]{1,5})-([0-9]{1,5})$/.exec(text);
  const fix = `write it like "${DEFAULT_NODE_PORT_RANGE}"`;
  if (!m) throw new UserError(`invalid port range "${text}": expected FIRST-LAST`, fix);
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (min < 1 || max > 65535) throw new UserError(`invalid port range "${text}": ports are 1-65535`, fix);
  if (min > max) throw new UserError(`invalid port range "${text}": ${min} is greater than ${max}`, fix);
  return { min, max };
}

export function formatPortRange(r: PortRange): string {
  return `${r.min}-${r.max}`;
}

export class NodePortAllocator {
  readonly range: PortRange;
  private readonly bands: BandedAllocator;

  constructor(range: string | PortRange = DEFAULT_NODE_PORT_RANGE, opts: { random?: RandomSource } = {}) {
    this.range = typeof range === "string" ? parsePortRange(range) : parsePortRange(formatPortRange(range));
    const size = BigInt(this.range.max - this.range.min + 1);
    this.bands = new BandedAllocator(size, staticBandSize(size, NODE_PORT_BAND), opts.random ?? Math.random);
  }

  get size(): number {
    return this.range.max - this.range.min + 1;
  }

  get used(): number {
    return this.bands.used;
  }

  /** The ports of the static band, e.g. 30000-30085 for the default range. */
  get staticBand(): PortRange | undefined {
    const n = Number(this.bands.staticBand);
    return n === 0 ? undefined : { min: this.range.min, max: this.range.min + n - 1 };
  }

  ownerOf(port: number): string | undefined {
    return this.inRange(port) ? this.bands.ownerOf(BigInt(port - this.range.min)) : undefined;
  }

  /** Give a requested port to owner; idempotent for the same owner. */
  reserve(port: number, owner: string): number {
    if (!this.inRange(port)) {
      throw new UserError(
        `cannot allocate nodePort ${port} to ${owner}: it is outside the NodePort range ${formatPortRange(this.range)}`,
        `choose a port in ${formatPortRange(this.range)} or leave nodePort empty`,
      );
    }
    const index = BigInt(port - this.range.min);
    const holder = this.bands.ownerOf(index);
    if (holder === owner) return port;
    if (holder !== undefined) {
      throw new UserError(
        `cannot allocate nodePort ${port} to ${owner}: it is already allocated to ${holder}`,
        "choose another port or leave nodePort empty",
      );
    }
    this.bands.take(index, owner);
    return port;
  }

  /** A new free port for owner (random, upper band first). */
  allocate(owner: string): number {
    const index = this.bands.pickFree();
    if (index === undefined) {
      throw new RangeFullError(
        `no free nodePort in ${formatPortRange(this.range)} for ${owner}: all ${this.size} ports are allocated`,
        "delete unused NodePort Services or widen the NodePort range",
      );
    }
    this.bands.take(index, owner);
    return this.range.min + Number(index);
  }

  /** Free a port; false when it was not allocated. */
  release(port: number): boolean {
    return this.inRange(port) && this.bands.free(BigInt(port - this.range.min));
  }

  /** Ports held by owner, ascending. */
  portsOf(owner: string): number[] {
    return this.bands
      .entries()
      .filter(([, o]) => o === owner)
      .map(([i]) => this.range.min + Number(i));
  }

  toJSON(): NodePortState {
    const allocations: Record<string, string> = {};
    for (const [index, owner] of this.bands.entries())
      allocations[String(this.range.min + Number(index))] = owner;
    return { range: formatPortRange(this.range), allocations };
  }

  static fromJSON(state: NodePortState, opts: { random?: RandomSource } = {}): NodePortAllocator {
    const a = new NodePortAllocator(state.range, opts);
    for (const [port, owner] of Object.entries(state.allocations)) {
      if (!/^[0-9]+$/.test(port))
        throw new UserError(`invalid NodePort state: key "${port}" is not a port number`);
      a.reserve(Number(port), owner);
    }
    return a;
  }

  private inRange(port: number): boolean {
    return Number.isInteger(port) && port >= this.range.min && port <= this.range.max;
  }
}
