/**
 * Per-node pod addresses with the reference host-local plugin's semantics, on disk and safe
 * across processes: every operation takes the network directory's lock, reads the current
 * allocations, decides (pure helpers in config.ts and iterator.ts) and writes crash-safely
 * (disk.ts). One address per range set; round-robin from the last reserved address; requested
 * addresses (the CNI `ips` capability or args) honoured when they are in a range and free.
 * An allocation that fails halfway (say the v6 set is full after the v4 address was taken)
 * releases what it took, so a failed ADD leaves nothing behind.
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
import { UserError } from "../../util/errors.js";
import { formatIp, formatIpWithPrefix, type IpAddress, parseIp } from "../cidr.js";
import { RangeFullError } from "../errors.js";
import {
  type Allocated,
  formatRange,
  type HostLocalConfig,
  type Owner,
  type ParsedRangeSet,
  parseRangeSets,
  rangeCapacity,
  rangeFor,
  validateNetworkName,
  validateOwner,
} from "./config.js";
import { NetworkDir, type StoredAllocation, sameOwner } from "./disk.js";
import { candidates } from "./iterator.js";
import { withLock } from "./lock.js";

/** No free address left in a range set. */
export class IpamExhaustedError extends RangeFullError {
  constructor(message: string, fix?: string) {
    super(message, fix);
    this.name = "IpamExhaustedError";
  }
}

type OwnerKey = { containerId: string; ifname: string };

async function locked<T>(cfg: HostLocalConfig, fn: (dir: NetworkDir) => Promise<T>): Promise<T> {
  validateNetworkName(cfg.network);
  if (typeof cfg.dataDir !== "string" || cfg.dataDir === "") {
    throw new UserError(
      `IPAM network "${cfg.network}": "dataDir" is missing`,
      "give the directory for IPAM state",
    );
  }
  const dir = new NetworkDir(join(cfg.dataDir, cfg.network));
  await dir.ensure();
  return withLock(dir.dir, async () => {
    await dir.sweep();
    return fn(dir);
  });
}

function toAllocated(set: ParsedRangeSet, index: number, ip: IpAddress): Allocated {
  const range = rangeFor(set, ip.family, ip.value)!;
  return {
    address: formatIpWithPrefix(ip.family, ip.value, range.subnet.prefix),
    gateway: formatIp(ip.family, range.gateway),
    family: ip.family,
    rangeSetIndex: index,
  };
}

function setIndexOf(sets: ParsedRangeSet[], ip: IpAddress): number {
  return sets.findIndex((s) => rangeFor(s, ip.family, ip.value) !== undefined);
}

function describeSet(set: ParsedRangeSet): string {
  return set.ranges.map(formatRange).join(", ");
}

/** Map each requested address ("10.244.1.5" or "10.244.1.5/24") to its range set. */
function assignRequested(
  network: string,
  sets: ParsedRangeSet[],
  requested: string[],
): Map<number, IpAddress> {
  const bySet = new Map<number, IpAddress>();
  for (const text of requested) {
    const ip = parseIp(text.includes("/") ? text.slice(0, text.indexOf("/")) : text);
    const index = setIndexOf(sets, ip);
    if (index < 0) {
      const gatewayOf = sets
        .flatMap((s) => s.ranges)
        .find((r) => r.gateway === ip.value && r.subnet.family === ip.family);
      throw new UserError(
        gatewayOf
          ? `requested IP ${text} is the gateway of ${formatRange(gatewayOf)} in IPAM network "${network}"`
          : `requested IP ${text} is not in any range of IPAM network "${network}": ${sets.map(describeSet).join("; ")}`,
        "request an address inside a configured range, or none",
      );
    }
    const prior = bySet.get(index);
    if (prior) {
      throw new UserError(
        `requested IPs ${formatIp(prior.family, prior.value)} and ${text} are both in range set ${index} of IPAM network "${network}"`,
        "request at most one address per range set (one IPv4 and one IPv6)",
      );
    }
    bySet.set(index, ip);
  }
  return bySet;
}

/** Allocate one address per range set to owner. */
export async function allocate(
  cfg: HostLocalConfig,
  owner: Owner,
  opts: { requestedIps?: string[] } = {},
): Promise<Allocated[]> {
  validateOwner(owner);
  const sets = parseRangeSets(cfg);
  const requested = assignRequested(cfg.network, sets, opts.requestedIps ?? []);
  return locked(cfg, async (dir) => {
    const existing = await dir.list();
    const created: string[] = [];
    try {
      const out: Allocated[] = [];
      for (const [index, set] of sets.entries()) {
        const inSet = existing.filter((a) => rangeFor(set, a.family, a.value) !== undefined);
        const mine = inSet.find((a) => sameOwner(a, owner));
        const want = requested.get(index);
        if (want) {
          const holder = inSet.find((a) => a.family === want.family && a.value === want.value);
          if (holder && sameOwner(holder, owner)) {
            out.push(toAllocated(set, index, want));
            continue;
          }
          const wantText = formatIp(want.family, want.value);
          if (holder) {
            throw new UserError(
              `requested IP ${wantText} in IPAM network "${cfg.network}" is already allocated to container ${holder.containerId} interface ${holder.ifname}`,
              "request a free address, or none",
            );
          }
          if (mine) throw alreadyHas(cfg.network, owner, mine, index);
          if (!(await dir.tryReserve(want, owner))) {
            throw new UserError(
              `requested IP ${wantText} in IPAM network "${cfg.network}" was taken concurrently`,
            );
          }
          created.push(wantText);
          await dir.setLastReserved(index, want);
          out.push(toAllocated(set, index, want));
          continue;
        }
        if (mine) throw alreadyHas(cfg.network, owner, mine, index);
        const ip = await allocateInSet(dir, set, index, inSet, owner);
        created.push(formatIp(ip.family, ip.value));
        out.push(toAllocated(set, index, ip));
      }
      return out;
    } catch (err) {
      for (const ip of created) await dir.remove(ip);
      throw err;
    }
  });
}

function alreadyHas(network: string, owner: OwnerKey, mine: StoredAllocation, index: number): UserError {
  return new UserError(
    `container ${owner.containerId} interface ${owner.ifname} already has an address in range set ${index} of IPAM network "${network}": ${mine.ip}`,
    "release it first (CNI DEL), or request that address explicitly",
  );
}

async function allocateInSet(
  dir: NetworkDir,
  set: ParsedRangeSet,
  index: number,
  inSet: StoredAllocation[],
  owner: Owner,
): Promise<IpAddress> {
  const capacity = set.ranges.reduce((n, r) => n + rangeCapacity(r), 0n);
  if (BigInt(inSet.length) < capacity) {
    const taken = new Set(inSet.map((a) => a.value));
    const last = await dir.lastReserved(index);
    const start = last && last.family === set.family ? last.value : undefined;
    for (const { value } of candidates(set, start)) {
      if (taken.has(value)) continue;
      const ip: IpAddress = { family: set.family, value };
      if (!(await dir.tryReserve(ip, owner))) continue;
      await dir.setLastReserved(index, ip);
      return ip;
    }
  }
  throw new IpamExhaustedError(
    `no free address in ${describeSet(set)}: ${inSet.length} of ${capacity} in use`,
    "release unused pods' addresses (CNI DEL or GC) or configure a larger range",
  );
}

/** Release every address of owner (idempotent: an unknown owner is success). */
export async function release(cfg: HostLocalConfig, owner: OwnerKey): Promise<void> {
  validateOwner(owner);
  await locked(cfg, async (dir) => {
    for (const a of await dir.list()) if (sameOwner(a, owner)) await dir.remove(a.ip);
  });
}

/** The owner's addresses within the configured range sets ([] if none), for CNI CHECK. */
export async function lookup(cfg: HostLocalConfig, owner: OwnerKey): Promise<Allocated[]> {
  validateOwner(owner);
  const sets = parseRangeSets(cfg);
  return locked(cfg, async (dir) => {
    const out: Allocated[] = [];
    for (const a of await dir.list()) {
      if (!sameOwner(a, owner)) continue;
      const index = setIndexOf(sets, a);
      if (index >= 0) out.push(toAllocated(sets[index]!, index, a));
    }
    return out.sort((x, y) => x.rangeSetIndex - y.rangeSetIndex);
  });
}

/** CNI GC: release every allocation whose owner is not in valid; returns the released addresses. */
export async function gc(cfg: HostLocalConfig, valid: OwnerKey[]): Promise<string[]> {
  return locked(cfg, async (dir) => {
    const released: string[] = [];
    for (const a of await dir.list()) {
      if (valid.some((v) => sameOwner(a, v))) continue;
      await dir.remove(a.ip);
      released.push(a.ip);
    }
    return released;
  });
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch (err) {
    // Only a definite "not there" counts; permission errors leave the allocation alone.
    const code = (err as NodeJS.ErrnoException).code;
    return !(code === "ENOENT" || code === "ENOTDIR");
  }
}

/** Release allocations whose recorded network namespace path no longer exists. */
export async function reclaimOrphans(cfg: HostLocalConfig): Promise<string[]> {
  return locked(cfg, async (dir) => {
    const released: string[] = [];
    for (const a of await dir.list({ withNetns: true })) {
      if (a.netns === undefined || (await pathExists(a.netns))) continue;
      await dir.remove(a.ip);
      released.push(a.ip);
    }
    return released;
  });
}
