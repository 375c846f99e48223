/**
 * The host-gw backend on a real kernel: a 3-node minilab (2 pods per node, nodes starting with
 * strict rp_filter and forwarding off), reconciled by flatnet's applier, then real traffic.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { getBackend, podMTU } from "../../src/backends/index.js";
import { UserError } from "../../src/util/errors.js";
import { MiniLab, type MiniNode } from "../helpers/minilab.js";
import { ProcessGroup } from "../helpers/nsproc.js";
import {
  assertAllPodsPing,
  assertNodePodClientIp,
  assertPodToPodClientIp,
  dumpNode,
  readEntries,
  startServersOn,
} from "../helpers/podnet-checks.js";
import { askClientIp, ClientIpServers, capture, ping } from "../helpers/traffic.js";

describe("host-gw backend (real namespaces)", () => {
  let lab: MiniLab;
  const procs = new ProcessGroup();
  const servers = new ClientIpServers();

  before(async () => {
    lab = await MiniLab.create({ nodes: 3, podsPerNode: 2, podMTU: podMTU("host-gw", 1500) });
    await lab.applyBackend("host-gw");
    await startServersOn(lab.nodes, servers);
  });

  after(async () => {
    await servers.stopAll();
    await procs.stopAll();
    await lab?.destroy();
  });

  it("routes each peer's podCIDR via its node IP, and nothing else", async () => {
    for (const node of lab.nodes) {
      const e = await readEntries(node);
      const peers = lab.nodes.filter((n) => n !== node);
      assert.deepEqual(
        e.routes,
        peers.map((p) => `10.244.${p.index}.0/24 via ${p.nodeIP} dev eth0`),
      );
      assert.deepEqual([e.neighbours, e.fdb], [[], []]);
    }
  });

  it("a second apply changes nothing", async () => {
    const before = await Promise.all(lab.nodes.map(dumpNode));
    const reports = await lab.applyBackend("host-gw");
    assert.deepEqual(
      [...reports.values()].map((r) => r.commands),
      lab.nodes.map(() => []),
    );
    assert.deepEqual(await Promise.all(lab.nodes.map(dumpNode)), before);
  });

  it("pods reach every pod on the same node and across nodes", async () => {
    await assertAllPodsPing(lab);
  });

  it("TCP and UDP between pods carry the real pod address", async () => {
    await assertPodToPodClientIp(lab);
  });

  it("node <-> pod traffic works both ways without NAT", async () => {
    const { localSrc, remoteSrc } = await assertNodePodClientIp(lab);
    const n1 = lab.nodes[0]!;
    assert.equal(localSrc, n1.gateway, "a node reaches its own pods from cni0's address");
    assert.equal(remoteSrc, n1.nodeIP, "a node reaches remote pods from its node IP");
  });

  it("carries full 1500-byte pod packets (no encapsulation overhead)", async () => {
    const [n1, n2] = lab.nodes as [MiniNode, MiniNode];
    assert.equal(await ping(n1.pods[0]!.ns, n2.pods[0]!.ip, { size: 1500 - 28, dontFragment: true }), true);
  });

  it("sends pod packets as plain IP between pod addresses on the underlay", async () => {
    const [n1, n2] = lab.nodes as [MiniNode, MiniNode];
    const from = n1.pods[0]!;
    const to = n2.pods[0]!;
    const lines = await capture(procs, lab.underlayNs, "br0", "udp port 8472 or icmp", () =>
      ping(from.ns, to.ip),
    );
    const text = lines.join("\n");
    assert.match(text, new RegExp(`IP ${from.ip} > ${to.ip}: ICMP echo request`));
    assert.match(text, new RegExp(`IP ${to.ip} > ${from.ip}: ICMP echo reply`));
    assert.doesNotMatch(text, /\.8472: /);
  });

  it("follows a 4th node joining and leaving on every other node", async () => {
    const n4 = await lab.addNode();
    const joined = await lab.applyBackend("host-gw");
    const n4servers = new ClientIpServers();
    try {
      await startServersOn([n4], n4servers);
      assert.equal(
        await askClientIp(lab.nodes[1]!.pods[0]!.ns, n4.pods[1]!.ip, "udp"),
        lab.nodes[1]!.pods[0]!.ip,
      );
      assert.equal(await askClientIp(n4.pods[0]!.ns, lab.nodes[0]!.pods[1]!.ip, "tcp"), n4.pods[0]!.ip);
    } finally {
      await n4servers.stopAll();
    }
    for (const node of lab.nodes.filter((n) => n !== n4)) {
      assert.deepEqual(joined.get(node.name)?.commands, [
        `ip route replace 10.244.4.0/24 via ${n4.nodeIP} dev eth0 proto 241`,
      ]);
      assert.ok((await readEntries(node)).routes.includes(`10.244.4.0/24 via ${n4.nodeIP} dev eth0`));
    }
    await lab.removeNode("n4");
    const left = await lab.applyBackend("host-gw");
    for (const node of lab.nodes) {
      assert.deepEqual(left.get(node.name)?.commands, [
        `ip route del 10.244.4.0/24 via ${n4.nodeIP} dev eth0 proto 241`,
      ]);
      assert.equal((await readEntries(node)).routes.length, 2);
    }
    await assertAllPodsPing(lab);
  });

  it("is refused for a node on another subnet, and nothing changes", async () => {
    // A node on the same switch but in 172.19.0.0/16: reachable only through a router.
    const far = await lab.addNode({ nodeIP: "172.19.0.2", pods: 0 });
    try {
      const before = await Promise.all(lab.nodes.map(dumpNode));
      const n1 = lab.nodes[0]!;
      assert.throws(
        () => getBackend("host-gw").desired(lab.info(n1), lab.infos()),
        (e: unknown) =>
          e instanceof UserError &&
          e.message.includes(`node "${far.name}" (node IP 172.19.0.2, pods ${far.podCIDR})`) &&
          e.message.includes(`node "n1" (node IP ${n1.nodeIP} on 172.18.0.0/16`) &&
          /vxlan/.test(e.fix ?? ""),
      );
      await assert.rejects(lab.applyBackend("host-gw"), /not on one L2 segment/);
      assert.deepEqual(await Promise.all(lab.nodes.map(dumpNode)), before);
    } finally {
      await lab.removeNode(far.name);
    }
  });
});
