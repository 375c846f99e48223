/**
 * Per-node pod IP store with host-local semantics: the public API the CNI plugin and the
 * IPAM plugin use. See store.ts for the operations and disk.ts for the on-disk layout.
 */
export type { Allocated, HostLocalConfig, IpRange, Owner, RangeSet } from "./config.js";
export { allocate, gc, IpamExhaustedError, lookup, reclaimOrphans, release } from "./store.js";
