/**
 * The lab's physical layer: an underlay namespace holding a bridge (the switch), one
 * namespace per node with `eth0` plugged into it, and an `external` namespace: a client
 * outside the cluster on the same segment (for NodePort and Ingress).
 *
 * Veth pairs are created with both ends placed directly in their target namespaces, so no
 * lab link ever exists in the root namespace, not even for a moment.
 */
import { run } from "../kernel/exec.js";
import { createNetns, deleteNetns } from "../kernel/netns.js";
import type { LabNames } from "./names.js";

export const UNDERLAY_BRIDGE = "br0";

export interface UnderlayPlan {
  /** Node addresses come from this subnet (kind's 172.18.0.0/16 by default). */
  subnetPrefix: number;
  mtu: number;
}

export async function createUnderlay(names: LabNames, plan: UnderlayPlan): Promise<void> {
  const ns = names.underlayNetns;
  await createNetns(ns);
  await run(["ip", "-batch", "-"], {
    netns: ns,
    input: [
      `link add ${UNDERLAY_BRIDGE} type bridge stp_state 0`,
      `link set ${UNDERLAY_BRIDGE} mtu ${plan.mtu} up`,
    ].join("\n"),
  });
}

/**
 * Plug a member namespace (a node or the external client) into the underlay switch with
 * `eth0` holding `address` (CIDR form, e.g. 172.18.0.2/16).
 */
export async function plugIntoUnderlay(
  names: LabNames,
  member: string,
  memberNetns: string,
  address: string,
  mtu: number,
): Promise<void> {
  await createNetns(memberNetns);
  const port = names.underlayPort(member);
  await run(
    [
      "ip",
      "link",
      "add",
      "eth0",
      "mtu",
      String(mtu),
      "netns",
      memberNetns,
      "type",
      "veth",
      "peer",
      "name",
      port,
    ],
    { netns: names.underlayNetns },
  );
  await run(["ip", "-batch", "-"], {
    netns: names.underlayNetns,
    input: `link set ${port} mtu ${mtu} master ${UNDERLAY_BRIDGE} up\n`,
  });
  await run(["ip", "-batch", "-"], {
    netns: memberNetns,
    input: `addr add ${address} dev eth0\nlink set eth0 up\n`,
  });
}

/** Unplug and delete a member's namespace (the veth pair goes with it). */
export async function removeMember(memberNetns: string): Promise<void> {
  await deleteNetns(memberNetns);
}
