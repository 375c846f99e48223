/**
 * Loader for the native addon (native/netns_addon.c): sockets inside other network
 * namespaces, flock(2) and nfnetlink batches. Built by `npm ci` (scripts/build.mjs) into build/.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface NativeAddon {
  /** A non-blocking socket created inside the namespace at nsPath. family 4|6, type 1=TCP 2=UDP. */
  /** port >= 0: bound to the wildcard address (TCP also listening); port < 0: unbound. */
  socketIn(nsPath: string, family: 4 | 6, type: 1 | 2, port: number): number;
  /** Non-blocking flock: false when another process holds a conflicting lock. */
  flock(fd: number, op: "ex" | "sh" | "un"): boolean;
  closeFd(fd: number): void;
  /**
   * Sends one nfnetlink batch on a netlink socket inside the namespace at nsPath and resolves
   * with [sequence, errno] for each answer (errno 0: acknowledged), after expectAcks answers
   * or a batch-level failure. src/kernel/nft-set-elements.ts builds the batch.
   */
  nfnlBatch(
    nsPath: string,
    batch: Buffer,
    expectAcks: number,
    timeoutMs: number,
  ): Promise<Array<[number, number]>>;
}

let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (!addon) {
    // From src/ (tsx) or dist/src/ (built): the addon sits in build/ at the package root.
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
    const path = join(dir, "build", "netns_addon.node");
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  }
  return addon;
}
