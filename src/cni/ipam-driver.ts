/**
 * What the bridge plugin needs from IPAM, whoever provides it: the built-in flatnet-ipam store
 * (in-process, no exec) or any IPAM plugin found on CNI_PATH (exec'd as the spec says). The
 * bridge plugin picks one with ipamDriverFor() and never knows which it got.
 */
import type { Attachment } from "./config.js";
import type { CniResult } from "./result.js";

export interface IpamDriver {
  /** Allocate (ADD): the result's ips (without interface indices), routes and dns. */
  add(): Promise<CniResult>;
  /** Release (DEL); succeeds when nothing is allocated. */
  del(): Promise<void>;
  /** Verify (CHECK) that the allocation still holds exactly these addresses ("10.244.1.5/24"). */
  check(prev: CniResult): Promise<void>;
  /** Release everything not in `valid` (GC). */
  gc(valid: Attachment[]): Promise<void>;
  /** Throws code 50 when no ADD could get an address (STATUS). */
  status(): Promise<void>;
}
