/**
 * The enforcer's ruleset means what the model means, checked without a kernel: every node's
 * table is rendered from the compiled IR and loaded into the fake, which runs each
 * connection's first packet through the chains the way the kernel would (the source node's
 * forward hook, then the destination node's when it is another). The verdicts must equal
 *  - the expectations of every conformance case in test/fixtures/policy (the same cases the
 *    live lab runs), and
 *  - connectionVerdict on random clusters with random policies (every selector, peer and port
 *    form), for pod pairs and for addresses outside the cluster, also after a series of
 *    incremental policy changes applied as deltas, whose table must equal a fresh full one.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { policyCases, type Table, TOPOLOGY, tableDifferences } from "../../../test/helpers/policy-cases.js";
import { randomCluster, randomPolicy, rng } from "../../analyzer/random-cluster.js";
import { loadSnapshot } from "../../analyzer/snapshot.js";
import type { NetworkPolicyLike } from "../compile.js";
import { connectionVerdict } from "../evaluate.js";
import { PolicyModel } from "../model.js";
import type { Protocol } from "../types.js";
import { PodUniverse } from "../universe.js";
import { desiredElements, type Elements } from "./elements.js";
import { FakePolicyTable, type Packet } from "./fake.js";
import type { PeerIdentities } from "./identities.js";
import { renderDelta, renderFull } from "./render.js";

async function loadTables(model: PolicyModel, nodes: string[]): Promise<Map<string, FakePolicyTable>> {
  const out = new Map<string, FakePolicyTable>();
  for (const node of nodes) {
    const t = new FakePolicyTable();
    await t.apply(renderFull(desiredElements(model, node).elements));
    out.set(node, t);
  }
  return out;
}

/** Whether the kernels along the path let a new connection from pod s to pod d through. */
function kernelAllows(
  model: PolicyModel,
  tables: Map<string, FakePolicyTable>,
  s: number,
  d: number,
  port: number,
  protocol: Protocol,
): boolean {
  if (s === d) return true;
  const src = model.universe.pods[s]!;
  const dst = model.universe.pods[d]!;
  const p: Packet = {
    saddr: src.ips[0]!,
    daddr: dst.ips[0]!,
    protocol: protocol.toLowerCase() as Packet["protocol"],
    dport: port,
  };
  const first = tables.get(src.node!)!.judge("forward", p).verdict === "accept";
  if (src.node === dst.node) return first;
  return first && tables.get(dst.node!)!.judge("forward", p).verdict === "accept";
}

describe("policy table: conformance cases through the fake kernel", () => {
  for (const c of policyCases()) {
    test(c.name, async () => {
      const snap = await loadSnapshot([TOPOLOGY, c.manifest]);
      const tables = await loadTables(
        snap.model,
        snap.nodes.map((n) => n.name),
      );
      const keys = snap.pods.map((p) => p.key);
      for (const e of c.expectations) {
        const got: Table = {};
        keys.forEach((from, s) => {
          got[from] = {};
          keys.forEach((to, d) => {
            got[from]![to] = kernelAllows(snap.model, tables, s, d, e.port, e.protocol);
          });
        });
        assert.deepEqual(tableDifferences(e, got), []);
      }
    });
  }
});

const opts = { namespaces: 5, podsPerNamespace: 8, appsPerNamespace: 3, pendingRatio: 0.05 };
const NODES = ["node-0", "node-1", "node-2", "node-3"];
const QUERIES: Array<[number, Protocol]> = [
  [80, "TCP"],
  [81, "TCP"],
  [79, "TCP"],
  [9090, "TCP"],
  [53, "UDP"],
  [80, "UDP"],
  [80, "SCTP"],
];
/** Outside addresses: in and out of the random ipBlocks (10.0.0.0/16 except 10.0.n.0/28). */
const OUTSIDE = ["10.0.9.5", "10.0.0.3", "10.0.3.200", "192.168.1.1", "10.1.0.1"];

function compareAll(model: PolicyModel, tables: Map<string, FakePolicyTable>): string[] {
  const u = model.universe;
  const bad: string[] = [];
  const withIp = u.pods.map((p, i) => (p.ips.length ? i : -1)).filter((i) => i >= 0);
  for (const [port, protocol] of QUERIES) {
    for (const s of withIp) {
      for (const d of withIp) {
        const want = connectionVerdict(model, { pod: s }, { pod: d }, port, protocol).allowed;
        const got = kernelAllows(model, tables, s, d, port, protocol);
        if (want !== got)
          bad.push(`${protocol}/${port} ${u.keyOf(s)} -> ${u.keyOf(d)}: model ${want}, kernel ${got}`);
      }
      const pod = u.pods[s]!;
      const proto = protocol.toLowerCase() as Packet["protocol"];
      for (const ip of OUTSIDE) {
        const out = connectionVerdict(model, { pod: s }, { ip }, port, protocol).allowed;
        const outK =
          tables
            .get(pod.node!)!
            .judge("forward", { saddr: pod.ips[0]!, daddr: ip, protocol: proto, dport: port }).verdict ===
          "accept";
        if (out !== outK)
          bad.push(`${protocol}/${port} ${u.keyOf(s)} -> ${ip}: model ${out}, kernel ${outK}`);
        const inn = connectionVerdict(model, { ip }, { pod: s }, port, protocol).allowed;
        const innK =
          tables
            .get(pod.node!)!
            .judge("forward", { saddr: ip, daddr: pod.ips[0]!, protocol: proto, dport: port }).verdict ===
          "accept";
        if (inn !== innK)
          bad.push(`${protocol}/${port} ${ip} -> ${u.keyOf(s)}: model ${inn}, kernel ${innK}`);
      }
    }
  }
  return bad;
}

describe("policy table: random clusters through the fake kernel", () => {
  for (const seed of [1, 2, 3]) {
    test(`seed ${seed}: every pair and outside address as connectionVerdict says`, async () => {
      const r = rng(seed * 7919);
      const c = randomCluster(seed, opts);
      const policies = Array.from({ length: 12 }, (_, k) => randomPolicy(r, opts, `p${k}`));
      const model = new PolicyModel(new PodUniverse(c.pods, c.namespaces), policies);
      const bad = compareAll(model, await loadTables(model, NODES));
      assert.deepEqual(bad.slice(0, 10), []);
    });
  }

  test("incremental: deltas after policy changes give the table a full sync would", async () => {
    const r = rng(4242);
    const c = randomCluster(9, opts);
    const universe = new PodUniverse(c.pods, c.namespaces);
    const model = new PolicyModel(universe, []);
    const tables = new Map<string, FakePolicyTable>();
    const installed = new Map<string, { elements: Elements; ids: PeerIdentities }>();
    for (const node of NODES) {
      const desired = desiredElements(model, node);
      const t = new FakePolicyTable();
      await t.apply(renderFull(desired.elements));
      tables.set(node, t);
      installed.set(node, { elements: desired.elements, ids: desired.identities });
    }
    const live = new Map<string, NetworkPolicyLike>();
    for (let step = 0; step < 25; step++) {
      const name = `p${Math.floor(r() * 8)}`;
      const existing = [...live.values()].find((p) => p.metadata.name === name);
      if (existing && r() < 0.35) {
        model.deletePolicy(existing.metadata.namespace!, name);
        live.delete(`${existing.metadata.namespace}/${name}`);
      } else {
        if (existing) {
          model.deletePolicy(existing.metadata.namespace!, name);
          live.delete(`${existing.metadata.namespace}/${name}`);
        }
        const np = randomPolicy(r, opts, name);
        model.setPolicy(np);
        live.set(`${np.metadata.namespace}/${name}`, np);
      }
      for (const node of NODES) {
        const prev = installed.get(node)!;
        const desired = desiredElements(model, node, prev.ids);
        await tables.get(node)!.apply(renderDelta(prev.elements, desired.elements));
        installed.set(node, { elements: desired.elements, ids: desired.identities });
        const fresh = new FakePolicyTable();
        await fresh.apply(renderFull(desired.elements));
        assert.equal(tables.get(node)!.dump(), fresh.dump(), `step ${step}, ${node}`);
      }
    }
    assert.ok(live.size > 0);
    assert.deepEqual(compareAll(model, tables).slice(0, 10), []);
  });
});
