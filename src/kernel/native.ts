/**
 * Loader for the native addon (native/netns_addon.c): sockets inside other network
 * namespaces and flock(2). Built by `npm ci` (scripts/build.mjs) into build/.
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export interface NativeAddon {
  /** A non-blocking socket created inside the namespace at nsPath. family 4|6, type 1=TCP 2=UDP. */
  /** port >= 0: bound to the wildcard address (TCP also listening); port < 0: unbound. */
  socketIn(nsPath: string, family: 4 | 6, type: 1 | 2, port: number): number;
  /** Non-blocking flock: false when another process holds a conflicting lock. */
  flock(fd: number, op: "ex" | "sh" | "un"): boolean;
  closeFd(fd: number): void;
}

let addon: NativeAddon | undefined;

export function native(): NativeAddon {
  if (!addon) {
    const path = fileURLToPath(new URL("../../../build/netns_addon.node", import.meta.url));
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  }
  return addon;
}
