/**
 * One configuration's scratch namespaces for the policy benchmark: a node whose bridge `cni0`
 * (10.244.1.1/24) holds a client pod (10.244.1.2) and a server pod (10.244.1.3), as a lab node
 * holds two pods of one node. Their connections are bridged, which is the path that costs
 * NetworkPolicy the most: br_netfilter hands every bridged IPv4 packet to the IP hooks (and
 * conntrack), where the policy table's forward chain judges it. The node's policy table (if
 * any) lives in the node namespace; nothing touches the root namespace. destroy() deletes
 * every namespace with the topology's prefix.
 */
import { randomBytes } from "node:crypto";
import { run } from "../../src/kernel/exec.js";
import { createNetns, deleteNetns, listNetns } from "../../src/kernel/netns.js";
import { ensureBridgedTrafficFiltered } from "../../src/policy/nft/node-policy.js";

export const CLIENT_IP = "10.244.1.2";
export const SERVER_IP = "10.244.1.3";

export class PolicyBenchTopology {
  readonly prefix = `flatnet-t${randomBytes(3).toString("hex")}-pb`;
  readonly node = `${this.prefix}-node`;
  readonly client = `${this.prefix}-cli`;
  readonly server = `${this.prefix}-srv`;

  static async create(): Promise<PolicyBenchTopology> {
    const t = new PolicyBenchTopology();
    try {
      for (const ns of [t.node, t.client, t.server]) await createNetns(ns);
      await run(["ip", "-batch", "-"], {
        netns: t.node,
        input: [
          "link add cni0 type bridge stp_state 0",
          "address add 10.244.1.1/24 dev cni0",
          "link set cni0 up",
          `link add vcli type veth peer name eth0 netns ${t.client}`,
          `link add vsrv type veth peer name eth0 netns ${t.server}`,
          "link set vcli master cni0 up",
          "link set vsrv master cni0 up",
          "",
        ].join("\n"),
      });
      await ensureBridgedTrafficFiltered(t.node);
      for (const [ns, ip] of [
        [t.client, CLIENT_IP],
        [t.server, SERVER_IP],
      ] as const) {
        await run(["ip", "-batch", "-"], {
          netns: ns,
          input: `address add ${ip}/24 dev eth0\nlink set eth0 up\nroute add default via 10.244.1.1\n`,
        });
      }
      // Many short connections: every local port is fair game.
      await run(["sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65535"], { netns: t.client });
    } catch (err) {
      await t.destroy();
      throw err;
    }
    return t;
  }

  async destroy(): Promise<void> {
    for (const ns of listNetns(this.prefix)) await deleteNetns(ns);
  }
}
