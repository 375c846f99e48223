/**
 * The lab end to end, through the CLI as a user types it, for both pod-network backends:
 * real TCP and UDP pod to pod on one node and across nodes, node to pod and pod to node with
 * the real source IP seen by the receiver (no NAT), the underlay capture proving VXLAN (or
 * plain routed IP for host-gw), pod deletion reclaiming everything, and `down` leaving nothing.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { after, describe, test } from "node:test";
import { lookup } from "../../src/ipam/host-local/index.js";
import { listNetns } from "../../src/kernel/netns.js";
import { flatnet, flatnetOk, podExec, repoRoot, uniqueLabName } from "../helpers/cli.js";

const fixture = `${repoRoot()}/test/fixtures/lab/pods.yaml`;

interface PodJson {
  metadata: { name: string; namespace: string };
  spec: { nodeName: string };
  status: { podIP: string; hostIP: string; phase: string };
}

/** Veths on node-1's cni0 (pod b's among them until it is deleted; add-on pods may add more). */
function bridgePorts(lab: string): number {
  const out = execFileSync("ip", [
    "-n",
    `flatnet-${lab}_node-node-1`,
    "-j",
    "link",
    "show",
    "master",
    "cni0",
  ]);
  return (JSON.parse(out.toString()) as unknown[]).length;
}

async function pods(lab: string): Promise<Map<string, PodJson>> {
  const list = JSON.parse(await flatnetOk(["get", "pods", "-A", "-o", "json", "--name", lab])) as {
    kind: string;
    items: PodJson[];
  };
  assert.equal(list.kind, "List");
  return new Map(list.items.map((p) => [p.metadata.name, p]));
}

for (const backend of ["vxlan", "host-gw"] as const) {
  describe(`lab with ${backend}`, () => {
    const lab = uniqueLabName(backend === "vxlan" ? "ev" : "eh");
    after(async () => {
      await flatnet(["down", "--name", lab]);
      assert.deepEqual(listNetns(`flatnet-${lab}_`), [], "down removed every namespace");
    });

    test("up brings every pod to Running with an IP on its node", async () => {
      const out = await flatnetOk(["up", "-f", fixture, "--name", lab, "--nodes", "2", "--backend", backend]);
      assert.match(out, /is up/);
      const p = await pods(lab);
      for (const name of ["a", "b", "c"]) {
        assert.equal(p.get(name)?.status.phase, "Running", `pod ${name} running`);
        assert.match(p.get(name)!.status.podIP, /^10\.244\.\d+\.\d+$/);
      }
      assert.notEqual(
        p.get("a")!.status.podIP.split(".")[2],
        p.get("c")!.status.podIP.split(".")[2],
        "different podCIDRs per node",
      );
      const nodes = await flatnetOk(["get", "nodes", "--name", lab]);
      assert.match(nodes, /node-1\s+Ready.*172\.18\.0\.\d+\s+10\.244\.\d+\.0\/24/);
    });

    test("TCP and UDP pod to pod, same node and across nodes, without NAT", async () => {
      const p = await pods(lab);
      for (const [from, to] of [
        ["a", "b"],
        ["a", "c"],
        ["c", "b"],
      ] as const) {
        const target = p.get(to)!.status.podIP;
        const host = await podExec(lab, "x", from, [
          "curl",
          "-s",
          "-m",
          "5",
          `http://${target}:8080/hostname`,
        ]);
        assert.equal(host.trim(), to);
        const client = await podExec(lab, "x", from, [
          "curl",
          "-s",
          "-m",
          "5",
          `http://${target}:8080/clientip`,
        ]);
        assert.equal(client.trim().split(":")[0], p.get(from)!.status.podIP, "receiver sees the real pod IP");
        const udp = await podExec(lab, "x", from, ["sh", "-c", `echo hostname | nc -u -w2 ${target} 8081`]);
        assert.equal(udp.trim(), to);
      }
    });

    test("node to pod and pod to node keep the real source address", async () => {
      const p = await pods(lab);
      const c = p.get("c")!;
      const fromNode1 = await flatnetOk([
        "exec",
        "--node",
        "node-1",
        "--name",
        lab,
        "--",
        "curl",
        "-s",
        "-m",
        "5",
        `http://${c.status.podIP}:8080/clientip`,
      ]);
      const node1IP = p.get("a")!.status.hostIP;
      // Across nodes the node's traffic leaves from its pod-network side (flannel.1 / eth0): both are the node's own addresses.
      assert.match(fromNode1.trim(), /^(172\.18\.0\.\d+|10\.244\.\d+\.0|10\.244\.\d+\.1):\d+$/);
      const fromOwnNode = await flatnetOk([
        "exec",
        "--node",
        "node-2",
        "--name",
        lab,
        "--",
        "curl",
        "-s",
        "-m",
        "5",
        `http://${c.status.podIP}:8080/clientip`,
      ]);
      assert.match(
        fromOwnNode.trim(),
        /^10\.244\.\d+\.1:\d+$/,
        "own node reaches its pod from the bridge gateway",
      );
      // pod -> node: a listener on node-1 sees the pod's IP.
      const server = spawn(
        "ip",
        ["netns", "exec", `flatnet-${lab}_node-node-1`, "nc", "-l", "-p", "9999", "-w", "5"],
        { stdio: ["ignore", "pipe", "ignore"] },
      );
      try {
        await new Promise((r) => setTimeout(r, 300));
        await podExec(lab, "x", "c", ["sh", "-c", `echo hi | nc -w2 -q1 ${node1IP} 9999 || true`]);
        const ss = execFileSync("ip", [
          "netns",
          "exec",
          `flatnet-${lab}_node-node-1`,
          "ss",
          "-tn",
          "state",
          "time-wait",
        ]).toString();
        assert.match(
          ss,
          new RegExp(`${c.status.podIP.replace(/\./g, "\\.")}:\\d+`),
          "node-1 saw the pod's own IP",
        );
      } finally {
        server.kill();
      }
    });

    test(`the underlay carries ${backend === "vxlan" ? "VXLAN on UDP 8472" : "plain IP between pod addresses"}`, async () => {
      const p = await pods(lab);
      const target = p.get("c")!.status.podIP;
      const filter = backend === "vxlan" ? "udp port 8472" : `host ${target} and tcp port 8080`;
      const cap = spawn(
        "ip",
        ["netns", "exec", `flatnet-${lab}_underlay`, "tcpdump", "-n", "-l", "-c", "1", "-i", "br0", filter],
        {
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let captured = "";
      cap.stdout.on("data", (d) => {
        captured += d;
      });
      try {
        await new Promise((r) => setTimeout(r, 800));
        await podExec(lab, "x", "a", ["curl", "-s", "-m", "5", `http://${target}:8080/hostname`]);
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        cap.kill();
      }
      if (backend === "vxlan") assert.match(captured, /UDP|8472|VXLAN|otv/i, captured);
      else assert.match(captured, new RegExp(target.replace(/\./g, "\\.")), captured);
    });

    test("probe measures every pair", async () => {
      const out = JSON.parse(
        await flatnetOk([
          "probe",
          "--port",
          "8080,8081",
          "--protocol",
          "TCP,UDP",
          "-o",
          "json",
          "--name",
          lab,
        ]),
      );
      assert.equal(out.matrices.length, 4);
      const tcp8080 = out.matrices.find(
        (m: { port: number; protocol: string }) => m.port === 8080 && m.protocol === "TCP",
      );
      assert.equal(tcp8080.allowed["x/a"]["x/c"], true);
      const tcp8081 = out.matrices.find(
        (m: { port: number; protocol: string }) => m.port === 8081 && m.protocol === "TCP",
      );
      assert.equal(tcp8081.allowed["x/a"]["x/c"], false, "nothing listens on TCP 8081");
    });

    test("a deleted pod's namespace, veth and IP are reclaimed", async () => {
      const before = await pods(lab);
      const ip = before.get("b")!.status.podIP;
      const uid = (before.get("b") as unknown as { metadata: { uid: string } }).metadata.uid;
      const portsBefore = bridgePorts(lab);
      await flatnetOk(["delete", "pod", "b", "-n", "x", "--name", lab]);
      for (let i = 0; i < 50 && (await pods(lab)).has("b"); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal((await pods(lab)).has("b"), false);
      assert.equal(listNetns(`flatnet-${lab}_pod-x.b`).length, 0);
      assert.equal(bridgePorts(lab), portsBefore - 1, "b's veth left node-1's bridge");
      // The IPAM store no longer holds an allocation for the deleted pod.
      const podCIDR = JSON.parse(await flatnetOk(["get", "nodes", "node-1", "-o", "json", "--name", lab]))
        .items[0].spec.podCIDR;
      const cfg = {
        dataDir: `/run/flatnet/labs/${lab}/nodes/node-1/ipam`,
        network: "flatnet",
        ranges: [[{ subnet: podCIDR }]],
      };
      assert.deepEqual(await lookup(cfg, { containerId: uid, ifname: "eth0" }), [], `${ip} released`);
    });
  });
}
