/**
 * The host-local IPAM configuration and its validation, pure. Defaults follow the reference
 * host-local plugin: the gateway is the first address of the subnet, the range runs from the
 * first usable address (past the gateway) to the last usable one (IPv4 stops before the
 * broadcast address; IPv6 has none), and a subnet must have room for at least two addresses
 * besides its network address. Range sets are one address each per allocation (a v4 set and a
 * v6 set make a dual-stack pod); the ranges of a set are tried in order, round-robin.
 */

import { UserError } from "../../util/errors.js";
import {
  broadcast,
  type Cidr,
  cidrContains,
  familyBits,
  formatCidr,
  formatIp,
  type IpFamily,
  parseCidr,
  parseIp,
} from "../cidr.js";

export interface IpRange {
  subnet: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

/** One address is allocated per range set. */
export type RangeSet = IpRange[];

export interface HostLocalConfig {
  dataDir: string;
  network: string;
  ranges: RangeSet[];
}

export interface Allocated {
  /** "10.244.1.5/24": the address with its subnet's prefix length. */
  address: string;
  gateway?: string;
  family: IpFamily;
  rangeSetIndex: number;
}

export interface Owner {
  containerId: string;
  ifname: string;
  netns?: string;
}

/** A validated range with every default filled in. */
export interface ParsedRange {
  subnet: Cidr;
  start: bigint;
  end: bigint;
  gateway: bigint;
}

export interface ParsedRangeSet {
  family: IpFamily;
  ranges: ParsedRange[];
}

export function rangeContains(r: ParsedRange, value: bigint): boolean {
  return value >= r.start && value <= r.end;
}

/** Addresses of the range that can be handed out (the gateway excluded). */
export function rangeCapacity(r: ParsedRange): bigint {
  return r.end - r.start + 1n - (rangeContains(r, r.gateway) ? 1n : 0n);
}

export function formatRange(r: ParsedRange): string {
  const f = r.subnet.family;
  return `${formatCidr(r.subnet)} (range ${formatIp(f, r.start)}-${formatIp(f, r.end)})`;
}

/** The range of the set that may hand out this address (not its gateway), or undefined. */
export function rangeFor(set: ParsedRangeSet, family: IpFamily, value: bigint): ParsedRange | undefined {
  if (family !== set.family) return undefined;
  return set.ranges.find((r) => rangeContains(r, value) && value !== r.gateway);
}

function parseRange(where: string, raw: IpRange): ParsedRange {
  if (typeof raw !== "object" || raw === null || typeof raw.subnet !== "string") {
    throw new UserError(`${where}: "subnet" is missing`, 'give each range a subnet such as "10.244.1.0/24"');
  }
  const subnet = parseCidr(raw.subnet, { strict: true });
  const bits = familyBits(subnet.family);
  if (subnet.prefix > bits - 2) {
    throw new UserError(
      `${where}: subnet ${raw.subnet} is too small to allocate from`,
      `use a prefix of /${bits - 2} or shorter`,
    );
  }
  const lastUsable = subnet.family === 4 ? broadcast(subnet) - 1n : broadcast(subnet);
  const address = (field: "rangeStart" | "rangeEnd" | "gateway"): bigint | undefined => {
    const text = raw[field];
    if (text === undefined || text === "") return undefined;
    const ip = parseIp(text);
    if (!cidrContains(subnet, ip)) {
      throw new UserError(`${where}: ${field} ${text} is not inside subnet ${raw.subnet}`);
    }
    if (field !== "gateway" && (ip.value === subnet.network || ip.value > lastUsable)) {
      throw new UserError(
        `${where}: ${field} ${text} is the network or broadcast address of ${raw.subnet}`,
        `use an address between ${formatIp(subnet.family, subnet.network + 1n)} and ${formatIp(subnet.family, lastUsable)}`,
      );
    }
    return ip.value;
  };
  const gateway = address("gateway") ?? subnet.network + 1n;
  let start = address("rangeStart");
  if (start === undefined) {
    start = subnet.network + 1n;
    if (start === gateway) start++;
  }
  let end = address("rangeEnd");
  if (end === undefined) {
    end = lastUsable;
    if (end === gateway) end--;
  }
  if (start > end) {
    throw new UserError(
      `${where}: rangeStart ${formatIp(subnet.family, start)} is after rangeEnd ${formatIp(subnet.family, end)}`,
    );
  }
  return { subnet, start, end, gateway };
}

function overlaps(a: ParsedRange, b: ParsedRange): boolean {
  return a.subnet.family === b.subnet.family && a.start <= b.end && b.start <= a.end;
}

/** Validate the configuration's range sets, filling defaults. Errors name the range. */
export function parseRangeSets(cfg: Pick<HostLocalConfig, "ranges" | "network">): ParsedRangeSet[] {
  if (!Array.isArray(cfg.ranges) || cfg.ranges.length === 0) {
    throw new UserError(
      `IPAM network "${cfg.network}": "ranges" is empty`,
      'give at least one range set, e.g. "ranges": [[{"subnet": "10.244.1.0/24"}]]',
    );
  }
  const sets = cfg.ranges.map((set, i): ParsedRangeSet => {
    if (!Array.isArray(set) || set.length === 0) {
      throw new UserError(`IPAM network "${cfg.network}": range set ${i} is not a non-empty list of ranges`);
    }
    const ranges = set.map((r, j) =>
      parseRange(`IPAM network "${cfg.network}" range set ${i} range ${j}`, r),
    );
    const family = ranges[0]!.subnet.family;
    ranges.forEach((r, j) => {
      if (r.subnet.family !== family) {
        throw new UserError(
          `IPAM network "${cfg.network}" range set ${i}: range ${j} (${formatCidr(r.subnet)}) is IPv${r.subnet.family} but range 0 is IPv${family}`,
          "put IPv4 and IPv6 ranges in separate range sets",
        );
      }
      for (let k = 0; k < j; k++) {
        if (overlaps(r, ranges[k]!)) {
          throw new UserError(
            `IPAM network "${cfg.network}" range set ${i}: range ${j} ${formatRange(r)} overlaps range ${k} ${formatRange(ranges[k]!)}`,
          );
        }
      }
    });
    return { family, ranges };
  });
  sets.forEach((set, i) => {
    for (let k = 0; k < i; k++) {
      for (const r of set.ranges) {
        const other = sets[k]!.ranges.find((o) => overlaps(r, o));
        if (other) {
          throw new UserError(
            `IPAM network "${cfg.network}": range set ${i} (${formatRange(r)}) overlaps range set ${k} (${formatRange(other)})`,
          );
        }
      }
    }
  });
  return sets;
}

/** Check the owner's fields can be stored (one line each) and name what is wrong. */
export function validateOwner(owner: { containerId: string; ifname: string }): void {
  for (const field of ["containerId", "ifname"] as const) {
    const v = owner[field];
    if (typeof v !== "string" || v.trim() === "" || /[\r\n]/.test(v)) {
      throw new UserError(
        `IPAM owner ${field} ${JSON.stringify(v)} is empty or spans lines`,
        `pass a one-line ${field}`,
      );
    }
  }
}

/** Check the network name is valid per the CNI spec, which also makes it a safe directory name. */
export function validateNetworkName(network: string): void {
  if (typeof network !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(network)) {
    throw new UserError(
      `IPAM network name ${JSON.stringify(network)} is not usable as a directory name`,
      "use letters, digits, '.', '_' and '-'",
    );
  }
}
