/**
 * The vxlan backend on a real kernel: a 3-node minilab (2 pods per node, nodes starting with
 * strict rp_filter and forwarding off), reconciled by flatnet's applier, then real traffic.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { podMTU } from "../../src/backends/index.js";
import { vtepMACFor } from "../../src/backends/vtep.js";
import { run } from "../../src/kernel/exec.js";
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

describe("vxlan backend (real namespaces)", () => {
  let lab: MiniLab;
  const procs = new ProcessGroup();
  const servers = new ClientIpServers();

  before(async () => {
    lab = await MiniLab.create({ nodes: 3, podsPerNode: 2, podMTU: podMTU("vxlan", 1500) });
    await lab.applyBackend("vxlan");
    await startServersOn(lab.nodes, servers);
  });

  after(async () => {
    await servers.stopAll();
    await procs.stopAll();
    await lab?.destroy();
  });

  it("builds Flannel's flannel.1 on every node", async () => {
    for (const node of lab.nodes) {
      const e = await readEntries(node);
      const peers = lab.nodes.filter((n) => n !== node);
      assert.deepEqual(
        e.routes,
        peers.map((p) => `10.244.${p.index}.0/24 via 10.244.${p.index}.0 dev flannel.1`),
      );
      assert.deepEqual(e.neighbours, peers.map((p) => `10.244.${p.index}.0 ${vtepMACFor(p.name)}`).sort());
      assert.deepEqual(e.fdb, peers.map((p) => `${vtepMACFor(p.name)} ${p.nodeIP}`).sort());
    }
  });

  it("a second apply changes nothing", async () => {
    const before = await Promise.all(lab.nodes.map(dumpNode));
    const reports = await lab.applyBackend("vxlan");
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
    assert.equal(remoteSrc, "10.244.1.0", "a node reaches remote pods from flannel.1's address");
  });

  it("needs rp_filter off for pod -> other node, and re-applying repairs a drifted sysctl", async () => {
    const [n1, n2] = lab.nodes as [MiniNode, MiniNode];
    const remotePod = n2.pods[0]!;
    await run(["sysctl", "-q", "-w", "net/ipv4/conf/all/rp_filter=1"], { netns: n1.ns });
    // The request reaches n1 on eth0 but n1's route back to n2's pods is flannel.1: strict drops it.
    await assert.rejects(askClientIp(remotePod.ns, n1.nodeIP, "tcp", { timeoutSec: 1 }), /no answer/);
    const reports = await lab.applyBackend("vxlan");
    assert.deepEqual(reports.get(n1.name)?.commands, ["sysctl -w net/ipv4/conf/all/rp_filter=0"]);
    assert.equal(await askClientIp(remotePod.ns, n1.nodeIP, "tcp"), remotePod.ip);
  });

  it("carries full 1450-byte pod packets without fragmentation", async () => {
    const [n1, n2] = lab.nodes as [MiniNode, MiniNode];
    assert.equal(await ping(n1.pods[0]!.ns, n2.pods[0]!.ip, { size: 1450 - 28, dontFragment: true }), true);
  });

  it("encapsulates pod traffic in VXLAN on UDP 8472 across the underlay", async () => {
    const [n1, n2] = lab.nodes as [MiniNode, MiniNode];
    const from = n1.pods[0]!;
    const to = n2.pods[0]!;
    const lines = await capture(
      procs,
      lab.underlayNs,
      "br0",
      "udp port 8472 or icmp",
      () => ping(from.ns, to.ip),
      ["-T", "vxlan"],
    );
    const text = lines.join("\n");
    assert.match(
      text,
      new RegExp(`IP ${n1.nodeIP}\\.\\d+ > ${n2.nodeIP}\\.8472: VXLAN, flags \\[I\\] \\(0x08\\), vni 1`),
    );
    assert.match(text, new RegExp(`IP ${from.ip} > ${to.ip}: ICMP echo request`));
    // No pod packet travels bare on the underlay.
    assert.equal(lines.filter((l) => /^\S+ IP 10\.244\./.test(l)).length, 0, text);
  });

  it("follows a 4th node joining and leaving on every other node", async () => {
    const n4 = await lab.addNode();
    const joined = await lab.applyBackend("vxlan");
    const n4servers = new ClientIpServers();
    try {
      await startServersOn([n4], n4servers);
      assert.equal(await askClientIp(lab.nodes[0]!.pods[0]!.ns, n4.pods[0]!.ip, "tcp"), "10.244.1.2");
      assert.equal(await askClientIp(n4.pods[1]!.ns, lab.nodes[2]!.pods[0]!.ip, "udp"), n4.pods[1]!.ip);
    } finally {
      // A namespace lives on while a socket is open in it: close them before the node goes.
      await n4servers.stopAll();
    }
    for (const node of lab.nodes.filter((n) => n !== n4)) {
      assert.equal(
        joined.get(node.name)?.ops.length,
        3,
        `${node.name} gains one route, neighbour and FDB entry`,
      );
      const e = await readEntries(node);
      assert.ok(e.routes.includes("10.244.4.0/24 via 10.244.4.0 dev flannel.1"), node.name);
      assert.ok(e.neighbours.includes(`10.244.4.0 ${vtepMACFor("n4")}`), node.name);
      assert.ok(e.fdb.includes(`${vtepMACFor("n4")} ${n4.nodeIP}`), node.name);
    }
    assert.equal(await ping(lab.nodes[0]!.pods[0]!.ns, n4.pods[0]!.ip), true);
    assert.equal(await ping(n4.pods[1]!.ns, lab.nodes[2]!.pods[1]!.ip), true);

    await lab.removeNode("n4");
    const left = await lab.applyBackend("vxlan");
    for (const node of lab.nodes) {
      assert.deepEqual(
        left.get(node.name)?.ops.map((o) => o.op),
        ["route-del", "neigh-del", "fdb-del"],
      );
      const e = await readEntries(node);
      assert.equal(e.routes.length, 2);
      assert.ok(!e.routes.some((r) => r.startsWith("10.244.4.")), node.name);
      assert.ok(!e.neighbours.some((r) => r.startsWith("10.244.4.")), node.name);
      assert.ok(!e.fdb.some((r) => r.includes(n4.nodeIP)), node.name);
    }
    await assertAllPodsPing(lab);
  });
});
