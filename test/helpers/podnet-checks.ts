/**
 * Checks shared by the backend integration tests: every pod reaches every pod, TCP and UDP
 * carry the sender's real address to the receiver between pods and between nodes and pods,
 * and reading a node's flatnet entries back from the kernel for assertions.
 */
import assert from "node:assert/strict";
import { run } from "../../src/kernel/exec.js";
import type { MiniLab, MiniNode, MiniPod } from "./minilab.js";
import { askClientIp, type ClientIpServers, ping, sourceFor } from "./traffic.js";

/** Client-IP servers in the namespaces of these nodes and their pods. */
export async function startServersOn(nodes: MiniNode[], servers: ClientIpServers): Promise<void> {
  for (const n of nodes) for (const ns of [n.ns, ...n.pods.map((p) => p.ns)]) await servers.start(ns);
}

/** Every pod pings every other pod (same node and across nodes). */
export async function assertAllPodsPing(lab: MiniLab): Promise<void> {
  const pairs = lab.pods.flatMap((a) => lab.pods.filter((b) => b !== a).map((b) => [a, b] as const));
  const results = await Promise.all(pairs.map(async ([a, b]) => ({ a, b, ok: await ping(a.ns, b.ip) })));
  const failed = results.filter((r) => !r.ok).map((r) => `${r.a.name}->${r.b.name}`);
  assert.deepEqual(failed, [], `pings failed: ${failed.join(", ")}`);
}

/** TCP and UDP from pod to pod; the receiver sees the sending pod's IP. */
export async function assertPodToPodClientIp(lab: MiniLab): Promise<void> {
  const [n1, n2, n3] = lab.nodes as [MiniNode, MiniNode, MiniNode];
  const pairs: [MiniPod, MiniPod][] = [
    [n1.pods[0]!, n1.pods[1]!], // same node
    [n1.pods[0]!, n2.pods[0]!], // across nodes
    [n3.pods[1]!, n1.pods[1]!],
    [n2.pods[1]!, n3.pods[0]!],
  ];
  for (const proto of ["tcp", "udp"] as const) {
    const seen = await Promise.all(pairs.map(([from, to]) => askClientIp(from.ns, to.ip, proto)));
    assert.deepEqual(
      seen,
      pairs.map(([from]) => from.ip),
      `${proto}: receivers saw these client addresses`,
    );
  }
}

/**
 * Node to pod and pod to node, on the same node and across nodes, TCP and UDP: the receiver
 * sees exactly the address the sender's kernel chose (no NAT anywhere). Returns the node
 * sources observed, so a backend test can assert which address that is.
 */
export async function assertNodePodClientIp(lab: MiniLab): Promise<{ localSrc: string; remoteSrc: string }> {
  const [n1, n2] = lab.nodes as [MiniNode, MiniNode];
  const local = n1.pods[0]!;
  const remote = n2.pods[0]!;
  const localSrc = await sourceFor(n1.ns, local.ip);
  const remoteSrc = await sourceFor(n1.ns, remote.ip);
  for (const proto of ["tcp", "udp"] as const) {
    assert.equal(await askClientIp(n1.ns, local.ip, proto), localSrc, `${proto} node -> own pod`);
    assert.equal(await askClientIp(n1.ns, remote.ip, proto), remoteSrc, `${proto} node -> remote pod`);
    // Forcing the node IP as source works too: pods see the node's underlay address.
    assert.equal(
      await askClientIp(n1.ns, remote.ip, proto, { bind: n1.nodeIP }),
      n1.nodeIP,
      `${proto} node IP -> remote pod`,
    );
    assert.equal(await askClientIp(local.ns, n1.nodeIP, proto), local.ip, `${proto} pod -> own node`);
    // Asymmetric under vxlan (there over the underlay, back through flannel.1): strict rp_filter drops it.
    assert.equal(await askClientIp(remote.ns, n1.nodeIP, proto), remote.ip, `${proto} pod -> other node`);
    assert.equal(
      await askClientIp(remote.ns, n1.gateway, proto),
      remote.ip,
      `${proto} pod -> other node's cni0`,
    );
  }
  return { localSrc, remoteSrc };
}

export interface NodeEntries {
  routes: string[];
  neighbours: string[];
  fdb: string[];
}

/** A node's flatnet routes, and the permanent neighbours and FDB entries of flannel.1. */
export async function readEntries(node: MiniNode): Promise<NodeEntries> {
  const routes = JSON.parse(await run(["ip", "-j", "route", "show", "proto", "241"], { netns: node.ns })) as {
    dst: string;
    gateway: string;
    dev: string;
  }[];
  const links = JSON.parse(await run(["ip", "-j", "link", "show"], { netns: node.ns })) as {
    ifname: string;
  }[];
  let neighbours: string[] = [];
  let fdb: string[] = [];
  if (links.some((l) => l.ifname === "flannel.1")) {
    const neigh = JSON.parse(
      await run(["ip", "-j", "neigh", "show", "dev", "flannel.1", "nud", "permanent"], { netns: node.ns }),
    ) as { dst: string; lladdr: string }[];
    neighbours = neigh.map((n) => `${n.dst} ${n.lladdr}`).sort();
    const entries = JSON.parse(
      await run(["bridge", "-n", node.ns, "-j", "fdb", "show", "dev", "flannel.1"]),
    ) as {
      mac: string;
      dst?: string;
    }[];
    fdb = entries
      .filter((e) => e.dst)
      .map((e) => `${e.mac} ${e.dst}`)
      .sort();
  }
  return { routes: routes.map((r) => `${r.dst} via ${r.gateway} dev ${r.dev}`).sort(), neighbours, fdb };
}

/**
 * A node's network configuration as the kernel reports it: links (name, MTU, MAC, flags,
 * alias, VXLAN attributes), IPv4 addresses, all routes, permanent neighbours and flannel.1's
 * FDB; timers and counters left out. Equal dumps mean nothing was changed.
 */
export async function dumpNode(node: MiniNode): Promise<unknown> {
  const out = await run(["ip", "-j", "-d", "-batch", "-"], {
    netns: node.ns,
    input: "link show\naddress show\nroute show table all\nneigh show nud permanent\n",
  });
  const [links, addrs, routes, neigh] = out
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>[]);
  const e = await readEntries(node);
  return {
    links: links!.map((l) => {
      const info = l.linkinfo as { info_kind?: string; info_data?: unknown } | undefined;
      return [
        l.ifname,
        l.mtu,
        l.address,
        l.flags,
        l.ifalias,
        info?.info_kind === "vxlan" ? info.info_data : null,
      ];
    }),
    addresses: addrs!.flatMap((l) =>
      (l.addr_info as { family: string; local: string; prefixlen: number }[])
        .filter((a) => a.family === "inet")
        .map((a) => `${l.ifname} ${a.local}/${a.prefixlen}`),
    ),
    routes: routes!.map((r) => JSON.stringify(r)),
    neighbours: neigh!.map((n) => JSON.stringify(n)),
    fdb: e.fdb,
  };
}
