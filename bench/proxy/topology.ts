/**
 * The benchmark's scratch namespaces: a node that routes between a client pod (10.244.2.2,
 * inside the cluster CIDR, so no masquerade) and a server pod (10.244.1.2), each on its own
 * veth and subnet. Both the VIP path and the direct path are routed by the node, so they
 * differ only by what the service proxy adds (DNAT and conntrack NAT). All the proxy tables
 * of the benchmark (flatnet's and the peer's) live in the node namespace; nothing touches the
 * root namespace. destroy() deletes every namespace with the run's prefix.
 */
import { randomBytes } from "node:crypto";
import { run } from "../../src/kernel/exec.js";
import { createNetns, deleteNetns, listNetns } from "../../src/kernel/netns.js";

export const CLIENT_IP = "10.244.2.2";
export const SERVER_IP = "10.244.1.2";

export class BenchTopology {
  readonly prefix = `flatnet-t${randomBytes(3).toString("hex")}-px`;
  readonly node = `${this.prefix}-node`;
  readonly client = `${this.prefix}-cli`;
  readonly server = `${this.prefix}-srv`;

  static async create(): Promise<BenchTopology> {
    const t = new BenchTopology();
    try {
      for (const ns of [t.node, t.client, t.server]) await createNetns(ns);
      await run(["ip", "-batch", "-"], {
        netns: t.node,
        input: [
          `link add vcli type veth peer name eth0 netns ${t.client}`,
          `link add vsrv type veth peer name eth0 netns ${t.server}`,
          "address add 10.244.2.1/24 dev vcli",
          "address add 10.244.1.1/24 dev vsrv",
          "link set vcli up",
          "link set vsrv up",
          "",
        ].join("\n"),
      });
      await run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0"], {
        netns: t.node,
      });
      for (const [ns, ip, gw] of [
        [t.client, CLIENT_IP, "10.244.2.1"],
        [t.server, SERVER_IP, "10.244.1.1"],
      ] as const) {
        await run(["ip", "-batch", "-"], {
          netns: ns,
          input: `address add ${ip}/24 dev eth0\nlink set eth0 up\nroute add default via ${gw}\n`,
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
