/**
 * The NetworkPolicy enforcer as a node agent runs it: bridged IPv4 on the node's `cni0` sent
 * through the IP hooks (br_netfilter's per-namespace `net.bridge.bridge-nf-call-iptables`, set
 * in the node's namespace only), the real nft table bound to that namespace, and the loop
 * started. A restart resyncs the table in place (one transaction); a removed node's
 * namespace takes the table with it.
 */
import type { ClusterSource } from "../../cluster/store.js";
import { CommandError, run } from "../../kernel/exec.js";
import { UserError } from "../../util/errors.js";
import { PolicyEnforcer } from "./enforcer.js";
import { NftPolicyTable } from "./table.js";

export interface NodePolicyOptions {
  source: ClusterSource;
  node: string;
  netns: string;
  log: (msg: string) => void;
}

/** Same-node pod traffic is bridged: make sure the IP hooks (and conntrack) see it. */
export async function ensureBridgedTrafficFiltered(netns: string): Promise<void> {
  if (!netns) throw new Error("ensureBridgedTrafficFiltered needs a network namespace");
  try {
    await run(["sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=1"], { netns });
  } catch (err) {
    if (err instanceof CommandError)
      throw new UserError(
        `NetworkPolicy cannot see traffic between pods on one node: ${err.stderr.trim() || err.message}`,
        "load the br_netfilter kernel module (modprobe br_netfilter), as kube-proxy on a bridge CNI needs",
      );
    throw err;
  }
}

export async function startNodePolicy(o: NodePolicyOptions): Promise<PolicyEnforcer> {
  await ensureBridgedTrafficFiltered(o.netns);
  const enforcer = new PolicyEnforcer({
    source: o.source,
    node: o.node,
    table: new NftPolicyTable(o.netns),
    log: o.log,
  });
  await enforcer.start();
  return enforcer;
}
