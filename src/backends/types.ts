/**
 * The contract every pod-network backend fulfils. A backend is pure: it computes the desired
 * NodePodNetwork of one node from that node, its peers and options; the applier
 * (src/kernel/podnet-applier.ts) makes the kernel match. The same function serves the lab's
 * node agents, a real cluster's DaemonSet and the analyzer.
 */
import type { NodeNetInfo, NodePodNetwork } from "../model/podnet.js";

export interface BackendOptions {
  /** MTU of the underlay interface (eth0); the lab's default is 1500. */
  underlayMTU: number;
  /** Name of the node's underlay interface inside its namespace. */
  underlayDev: string;
}

export const DEFAULT_BACKEND_OPTIONS: BackendOptions = { underlayMTU: 1500, underlayDev: "eth0" };

export interface PodNetworkBackend {
  readonly name: string;
  /** One line for `--help` and errors. */
  readonly description: string;
  /**
   * Bytes each pod packet grows by on the underlay (encapsulation headers). Pods, and the CNI
   * bridge, must use underlay MTU - overhead or large packets are dropped or fragmented.
   */
  readonly overhead: number;
  /**
   * The node's desired pod network. `peers` may include `self` (it is ignored), so callers can
   * pass every node. Throws UserError when the nodes cannot be served by this backend.
   */
  desired(self: NodeNetInfo, peers: NodeNetInfo[], opts?: Partial<BackendOptions>): NodePodNetwork;
}
