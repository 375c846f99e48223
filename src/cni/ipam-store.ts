/**
 * The seam between the CNI code and src/ipam's host-local store: the four operations of its
 * public API plus a free-address count for STATUS, behind an interface so unit tests can hand
 * the plugin an in-memory store. freeCount reads a snapshot of the network directory without
 * taking the lock: STATUS only reports, and a count that is one allocation stale is as good an
 * answer as a locked one.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseRangeSets, rangeCapacity, rangeFor } from "../ipam/host-local/config.js";
import { NetworkDir } from "../ipam/host-local/disk.js";
import {
  type Allocated,
  allocate,
  gc,
  type HostLocalConfig,
  IpamExhaustedError,
  lookup,
  type Owner,
  release,
} from "../ipam/host-local/index.js";

export type StoreConfig = HostLocalConfig;

export interface HostLocalStore {
  allocate(cfg: StoreConfig, owner: Owner, opts?: { requestedIps?: string[] }): Promise<Allocated[]>;
  release(cfg: StoreConfig, owner: { containerId: string; ifname: string }): Promise<void>;
  lookup(cfg: StoreConfig, owner: { containerId: string; ifname: string }): Promise<Allocated[]>;
  gc(cfg: StoreConfig, valid: Array<{ containerId: string; ifname: string }>): Promise<string[]>;
  /** Free addresses per range set. */
  freeCount(cfg: StoreConfig): Promise<bigint[]>;
  isExhausted(err: unknown): boolean;
}

async function freeCount(cfg: StoreConfig): Promise<bigint[]> {
  const sets = parseRangeSets(cfg);
  const dir = join(cfg.dataDir, cfg.network);
  const used = existsSync(dir) ? await new NetworkDir(dir).list() : [];
  return sets.map((set) => {
    const capacity = set.ranges.reduce((n, r) => n + rangeCapacity(r), 0n);
    const inUse = used.filter((a) => rangeFor(set, a.family, a.value) !== undefined).length;
    return capacity - BigInt(inUse);
  });
}

export const hostLocalStore: HostLocalStore = {
  allocate,
  release,
  lookup,
  gc,
  freeCount,
  isExhausted: (err) => err instanceof IpamExhaustedError,
};
