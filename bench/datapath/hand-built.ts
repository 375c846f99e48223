/**
 * The benchmark's baseline: the same cross-node paths flatnet's backends build, made by hand
 * with plain `ip`/`bridge`/`sysctl` commands and kernel defaults, as someone following
 * Flannel's notes would type them. Only what the path needs is set: forwarding on (nodes
 * route), a VXLAN device with the kernel's default MTU, MAC and offloads, static routes,
 * neighbours and FDB entries. flatnet's configuration must cost nothing against this.
 */
import { run } from "../../src/kernel/exec.js";
import type { MiniLab } from "../../test/helpers/minilab.js";

async function enableForwarding(lab: MiniLab): Promise<void> {
  for (const node of lab.nodes)
    await run(["sysctl", "-q", "-w", "net.ipv4.ip_forward=1"], { netns: node.ns });
}

/** host-gw by hand: a route per peer podCIDR via the peer's node IP. */
export async function handBuildHostGw(lab: MiniLab): Promise<void> {
  await enableForwarding(lab);
  for (const node of lab.nodes) {
    for (const peer of lab.nodes.filter((p) => p !== node)) {
      await run(["ip", "route", "add", peer.podCIDR, "via", peer.nodeIP, "dev", "eth0"], { netns: node.ns });
    }
  }
}

/** vxlan by hand: a VXLAN device per node with static route, neighbour and FDB per peer. */
export async function handBuildVxlan(lab: MiniLab): Promise<void> {
  await enableForwarding(lab);
  const macs = new Map<string, string>();
  for (const node of lab.nodes) {
    await run(["ip", "-batch", "-"], {
      netns: node.ns,
      input: [
        `link add vxlan1 type vxlan id 1 local ${node.nodeIP} dev eth0 dstport 8472 nolearning`,
        `address add ${node.podCIDR.replace("/24", "/32")} dev vxlan1`,
        "link set vxlan1 up",
      ].join("\n"),
    });
    const [link] = JSON.parse(await run(["ip", "-j", "link", "show", "vxlan1"], { netns: node.ns })) as {
      address: string;
    }[];
    macs.set(node.name, link!.address);
  }
  for (const node of lab.nodes) {
    for (const peer of lab.nodes.filter((p) => p !== node)) {
      const gw = peer.podCIDR.replace("/24", "");
      const mac = macs.get(peer.name)!;
      await run(["ip", "neigh", "add", gw, "lladdr", mac, "dev", "vxlan1", "nud", "permanent"], {
        netns: node.ns,
      });
      await run(["bridge", "fdb", "append", mac, "dev", "vxlan1", "dst", peer.nodeIP], { netns: node.ns });
      await run(["ip", "route", "add", peer.podCIDR, "via", gw, "dev", "vxlan1", "onlink"], {
        netns: node.ns,
      });
    }
  }
}
