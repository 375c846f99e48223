/**
 * Each lab node's CNI configuration, written to its own net.d directory exactly as a
 * cluster's CNI DaemonSet would drop it on a node (Flannel writes 10-flannel.conflist):
 * flatnet's bridge plugin with flatnet's host-local-style IPAM over the node's podCIDR, the
 * pod MTU the backend needs, and the socket of the node agent's fast path.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { NetConfList } from "./cni-runtime.js";

export const CNI_NETWORK_NAME = "flatnet";
export const CNI_CONF_FILE = "10-flatnet.conflist";
export const POD_BRIDGE = "cni0";

export interface NodeCniSettings {
  podCIDR: string;
  podMTU: number;
  ipamDataDir: string;
  agentSocket?: string;
}

export function nodeConfList(s: NodeCniSettings): NetConfList {
  const plugin: NetConfList["plugins"][number] = {
    type: "flatnet-cni",
    bridge: POD_BRIDGE,
    isGateway: true,
    isDefaultGateway: true,
    hairpinMode: true,
    mtu: s.podMTU,
    ipam: { type: "flatnet-ipam", dataDir: s.ipamDataDir, ranges: [[{ subnet: s.podCIDR }]] },
  };
  if (s.agentSocket) plugin.agentSocket = s.agentSocket;
  return { cniVersion: "1.1.0", name: CNI_NETWORK_NAME, plugins: [plugin] };
}

export function writeNodeConfList(confDir: string, list: NetConfList): string {
  mkdirSync(confDir, { recursive: true });
  const file = join(confDir, CNI_CONF_FILE);
  writeFileSync(file, `${JSON.stringify(list, null, 2)}\n`);
  return file;
}

/** The runtime reads the file on every pod, as containerd does: edits take effect at once. */
export function readNodeConfList(confDir: string): NetConfList {
  return JSON.parse(readFileSync(join(confDir, CNI_CONF_FILE), "utf8")) as NetConfList;
}
