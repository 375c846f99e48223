/**
 * The registry of pod-network backends: an explicit map, so the set of backends is visible in
 * one place and nothing registers itself by being imported.
 */
import { UserError } from "../util/errors.js";
import { hostGw } from "./hostgw.js";
import { checkUnderlayMTU } from "./mtu.js";
import type { PodNetworkBackend } from "./types.js";
import { vxlan } from "./vxlan.js";

export type { BackendOptions, PodNetworkBackend } from "./types.js";

const backends = { vxlan, "host-gw": hostGw } satisfies Record<string, PodNetworkBackend>;

export type BackendName = keyof typeof backends;

export const DEFAULT_BACKEND: BackendName = "vxlan";

export function backendNames(): BackendName[] {
  return Object.keys(backends) as BackendName[];
}

export function isBackendName(name: string): name is BackendName {
  return Object.hasOwn(backends, name);
}

export function getBackend(name: string): PodNetworkBackend {
  if (!isBackendName(name)) {
    throw new UserError(`unknown pod network backend "${name}"`, `use one of: ${backendNames().join(", ")}`);
  }
  return backends[name];
}

/**
 * The MTU pods (their veths and the CNI bridge) must use on top of an underlay of
 * `underlayMTU` with this backend: 1450 for vxlan on a 1500 underlay, 1500 for host-gw.
 */
export function podMTU(backend: string | PodNetworkBackend, underlayMTU: number): number {
  const be = typeof backend === "string" ? getBackend(backend) : backend;
  checkUnderlayMTU(be.name, underlayMTU, be.overhead);
  return underlayMTU - be.overhead;
}
