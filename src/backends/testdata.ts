/**
 * Nodes shared by the backend unit tests: three nodes on kind's underlay, kubeadm-style /24s.
 */
import type { NodeNetInfo } from "../model/podnet.js";

export function threeNodes(): [NodeNetInfo, NodeNetInfo, NodeNetInfo] {
  return [
    { name: "node-a", nodeIP: "172.18.0.2", podCIDR: "10.244.1.0/24", underlaySubnet: "172.18.0.0/16" },
    { name: "node-b", nodeIP: "172.18.0.3", podCIDR: "10.244.2.0/24", underlaySubnet: "172.18.0.0/16" },
    { name: "node-c", nodeIP: "172.18.0.4", podCIDR: "10.244.3.0/24", underlaySubnet: "172.18.0.0/16" },
  ];
}
