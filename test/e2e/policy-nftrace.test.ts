/**
 * Kernel cross-check of `flatnet trace` (issue 6, item 5): on a live lab of the e2e topology
 * with test/fixtures/policy/trace-mix.yaml applied (one policy rule of each allow-set shape
 * and both denials), each connection below is made for real with nftables tracing on for it
 * alone: a separate `flatnet-trace` table sets `meta nftrace set 1` on new packets whose
 * (source, destination, protocol) is in its set, and `nft monitor trace` (line-buffered) runs
 * in every node's namespace. The monitor caches rules, so between connections only the set's
 * elements change. For each policy hop `flatnet trace` predicts, the rules the kernel reports
 * on that node in the policy table must be the ones the verdict implies
 * (src/policy/nft/explain.ts): the direction's chain never entered when the pod is not
 * isolated, its final drop when nothing allows, the allow set of the allowing rule's shape
 * otherwise; and the connection succeeds exactly when trace says "delivered". Connections to
 * a Service are traced by its ClusterIP and judged on the endpoint trace follows.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadSnapshot } from "../../src/analyzer/snapshot.js";
import { LabNames } from "../../src/lab/names.js";
import { type KernelDecision, kernelDecision } from "../../src/policy/nft/explain.js";
import type { Direction, Protocol, RuleRef } from "../../src/policy/types.js";
import { flatnet, flatnetOk, uniqueLabName } from "../helpers/cli.js";
import { execIn, ProcessGroup, type Started } from "../helpers/nsproc.js";
import { POLICY_FIXTURES, TOPOLOGY } from "../helpers/policy-cases.js";
import { waitEnforced } from "../helpers/policy-lab.js";

const MIX = join(POLICY_FIXTURES, "trace-mix.yaml");
const NODES = ["node-1", "node-2"];

interface Hop {
  node: string;
  stage: string;
  detail: string;
  allowedBy?: RuleRef[];
  isolatedBy?: string[];
  endpoints?: Array<{ pod?: string; port: number }>;
}

/** Connections: pods a and b run on node-1, c on node-2. */
const CONNECTIONS: Array<[string, string, number, Protocol, string]> = [
  ["y/a", "x/a", 80, "TCP", "ingress peer-port, bridged on node-1"],
  ["z/a", "x/a", 81, "UDP", "ingress peer-proto"],
  ["z/c", "x/a", 81, "TCP", "ingress any-range, across nodes"],
  ["y/c", "x/a", 80, "TCP", "ingress peer-port, across nodes"],
  ["x/b", "x/a", 80, "TCP", "ingress drop"],
  ["y/b", "x/a", 80, "TCP", "egress peer, then ingress peer-port"],
  ["y/b", "z/b", 81, "UDP", "egress named port by identity, destination not isolated"],
  ["y/b", "z/c", 81, "UDP", "egress named port, then ingress drop on node-2"],
  ["y/b", "z/b", 80, "TCP", "egress drop"],
  ["z/b", "y/a", 80, "TCP", "no policy: no chain entered"],
  ["y/a", "x/a-svc", 8080, "TCP", "through a Service: ingress peer-port on the backend after DNAT"],
  ["x/b", "x/a-svc", 8080, "TCP", "through a Service: ingress drop on the backend"],
];

/** The policy table's verdict per trace id for one chain: "not entered", "drop" or "accept @set". */
function kernelOutcomes(lines: string[], chain: Direction): Map<string, string> {
  const out = new Map<string, string>();
  for (const l of lines) {
    const packet = /^trace id (\S+) inet flatnet-policy forward packet:/.exec(l);
    if (packet && !out.has(packet[1]!)) out.set(packet[1]!, "not entered");
    const m = /^trace id (\S+) inet flatnet-policy (\S+) rule (.*) \(verdict ([^)]+)\)\s*$/.exec(l);
    if (!m || m[2] !== chain) continue;
    const set = /@(\S+) (accept|return)$/.exec(m[3]!);
    out.set(m[1]!, m[3] === "drop" ? "drop" : set ? `${m[4]} @${set[1]}` : `unexpected: ${m[3]}`);
  }
  return out;
}

const said = (k: KernelDecision) =>
  !k.entered ? "not entered" : k.verdict === "drop" ? "drop" : `${k.verdict} @${k.set}`;

describe("nftables trace matches flatnet trace (kernel cross-check)", () => {
  const lab = uniqueLabName("n");
  const names = new LabNames(lab);
  const procs = new ProcessGroup();
  const monitors = new Map<string, Started>();
  const ips = new Map<string, string>();

  /** Trace only this connection's new packets (elements change; rules, which the monitor caches, never do). */
  async function traceOnly(from: string, to: string, proto: string): Promise<void> {
    for (const node of NODES) {
      const r = await execIn(
        names.nodeNetns(node),
        ["nft", "-f", "-"],
        `flush set inet flatnet-trace traced\nadd element inet flatnet-trace traced { ${ips.get(from)} . ${ips.get(to)} . ${proto} }\n`,
      );
      assert.equal(r.code, 0, r.stderr);
    }
  }

  before(async () => {
    await flatnetOk(["up", "-f", TOPOLOGY, "--name", lab]);
    await flatnetOk(["apply", "-f", MIX, "--name", lab]);
    await waitEnforced(lab);
    const pods = JSON.parse(await flatnetOk(["get", "pods", "-A", "-o", "json", "--name", lab])) as {
      items: Array<{ metadata: { namespace: string; name: string }; status: { podIP: string } }>;
    };
    for (const p of pods.items) ips.set(`${p.metadata.namespace}/${p.metadata.name}`, p.status.podIP);
    const services = JSON.parse(await flatnetOk(["get", "services", "-A", "-o", "json", "--name", lab])) as {
      items: Array<{ metadata: { namespace: string; name: string }; spec: { clusterIP: string } }>;
    };
    for (const s of services.items) ips.set(`${s.metadata.namespace}/${s.metadata.name}`, s.spec.clusterIP);
    for (const node of NODES) {
      const ns = names.nodeNetns(node);
      // After conntrack (-200), before the proxy's DNAT (-100): the connection's new packets.
      const r = await execIn(
        ns,
        ["nft", "-f", "-"],
        [
          "add table inet flatnet-trace",
          "add set inet flatnet-trace traced { type ipv4_addr . ipv4_addr . inet_proto; }",
          "add chain inet flatnet-trace pre { type filter hook prerouting priority -150; }",
          "add rule inet flatnet-trace pre ip saddr . ip daddr . meta l4proto @traced ct state new meta nftrace set 1",
          "",
        ].join("\n"),
      );
      assert.equal(r.code, 0, r.stderr);
      monitors.set(node, procs.spawn(ns, ["stdbuf", "-oL", "nft", "monitor", "trace"]));
    }
    // The monitors are subscribed once they report a traced ping between two pods of the node.
    const deadline = Date.now() + 10_000;
    for (const [node, from, to] of [
      ["node-1", "x/a", "x/b"],
      ["node-2", "x/c", "y/c"],
    ] as const) {
      await traceOnly(from, to, "icmp");
      while (!monitors.get(node)!.stdout().includes("inet flatnet-trace pre rule")) {
        assert.ok(
          Date.now() < deadline,
          `nft monitor trace on ${node} reports nothing: ${monitors.get(node)!.stderr()}${monitors.get(node)!.stdout()}`,
        );
        const [ns, pod] = from.split("/") as [string, string];
        await execIn(names.podNetns(ns, pod), ["ping", "-c", "1", "-W", "1", ips.get(to)!]);
      }
    }
  });

  after(async () => {
    await procs.stopAll();
    await flatnet(["down", "--name", lab]);
  });

  for (const [from, to, port, protocol, why] of CONNECTIONS) {
    test(`${from} -> ${to} ${protocol}/${port}: ${why}`, async () => {
      const [fns, fpod] = from.split("/") as [string, string];
      const [tns, tpod] = to.split("/") as [string, string];
      const proto = protocol.toLowerCase();
      await traceOnly(from, to, proto);
      const offsets = new Map(NODES.map((n) => [n, monitors.get(n)!.stdout().length]));
      const target = ips.get(to)!;
      const r =
        protocol === "TCP"
          ? await execIn(names.podNetns(fns, fpod), [
              "socat",
              "-T1",
              "/dev/null",
              `TCP:${target}:${port},connect-timeout=1`,
            ])
          : await execIn(
              names.podNetns(fns, fpod),
              ["socat", "-t1", "-T1", "-", `UDP-DATAGRAM:${target}:${port}`],
              "hostname\n",
            );
      const connected = r.code === 0 && (protocol === "TCP" || r.stdout.trim() === tpod);
      await new Promise((res) => setTimeout(res, 300));
      const lines = new Map(
        NODES.map((n) => [n, monitors.get(n)!.stdout().slice(offsets.get(n)).split("\n")] as const),
      );

      const t = JSON.parse(
        await flatnetOk(["trace", "-n", fns, fpod, `${to}:${port}/${protocol}`, "--name", lab, "-o", "json"]),
      ) as { verdict: string; hops: Hop[] };
      assert.equal(
        connected,
        t.verdict === "delivered",
        `connection ${connected}, trace ${t.verdict}: ${r.stderr}`,
      );

      const snap = await loadSnapshot([TOPOLOGY, MIX]);
      // Through a Service, policy judges the endpoint trace follows (its pod, its port).
      const endpoint = t.hops.find((h) => h.stage === "service")?.endpoints?.[0];
      const [dns, dpod] = (endpoint?.pod ?? to).split("/") as [string, string];
      const dst = snap.model.universe.indexOf(dns, dpod)!;
      const dport = endpoint?.port ?? port;
      const hops = t.hops.filter((h) => h.stage === "egress-policy" || h.stage === "ingress-policy");
      assert.ok(hops.length >= 1, JSON.stringify(t.hops));
      for (const hop of hops) {
        const direction: Direction = hop.stage === "egress-policy" ? "egress" : "ingress";
        const predicted = said(
          kernelDecision(
            snap.model,
            direction,
            {
              isolated: (hop.isolatedBy?.length ?? 0) > 0,
              allowed: hop.detail.startsWith("allowed"),
              allowedBy: hop.allowedBy ?? [],
            },
            { port: dport, protocol, dst },
          ),
        );
        const seen = kernelOutcomes(lines.get(hop.node)!, direction);
        assert.ok(
          seen.size > 0,
          `${hop.node} traced no packet of ${from} -> ${to} in flatnet-policy:\n${lines.get(hop.node)!.join("\n")}`,
        );
        assert.deepEqual(
          [...new Set(seen.values())],
          [predicted],
          `${direction} on ${hop.node}: trace says "${hop.detail}"`,
        );
      }
    });
  }
});
