/**
 * The predicted deciding rule (explain.ts) against the rules the fake kernel reports for the
 * same packet: for every pair and query, the egress chain on the source's node and the
 * ingress chain on the destination's node end where kernelDecision says (never entered, the
 * final drop, or the named allow set). On random clusters with random policies, and on the
 * policies the live kernel cross-check uses (test/fixtures/policy/trace-mix.yaml).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { POLICY_FIXTURES, TOPOLOGY } from "../../../test/helpers/policy-cases.js";
import { randomCluster, randomPolicy, rng } from "../../analyzer/random-cluster.js";
import { loadSnapshot } from "../../analyzer/snapshot.js";
import { directionVerdict } from "../evaluate.js";
import { PolicyModel } from "../model.js";
import type { Direction, Protocol } from "../types.js";
import { PodUniverse } from "../universe.js";
import { desiredElements } from "./elements.js";
import { allowKindsOf, type KernelDecision, kernelDecision } from "./explain.js";
import { FakePolicyTable, type TraceStep } from "./fake.js";
import { renderFull } from "./render.js";

/** What the steps of one chain say: not entered, dropped, or the set that allowed. */
function outcome(steps: TraceStep[], chain: Direction): string {
  const mine = steps.filter((s) => s.chain === chain);
  if (mine.length === 0) return "not entered";
  const last = mine[mine.length - 1]!;
  if (last.rule === "drop") return "drop";
  const set = /@(\S+) (accept|return)$/.exec(last.rule);
  return set ? `${last.verdict} @${set[1]}` : `unexpected: ${last.rule}`;
}

const said = (k: KernelDecision) =>
  !k.entered ? "not entered" : k.verdict === "drop" ? "drop" : `${k.verdict} @${k.set}`;

/** Mismatches over every pair and query; `seen` collects outcomes and allow-set shapes. */
async function compare(
  model: PolicyModel,
  queries: Array<[number, Protocol]>,
  seen: Set<string>,
): Promise<string[]> {
  const u = model.universe;
  const tables = new Map<string, FakePolicyTable>();
  for (const node of new Set(u.pods.map((p) => p.node!))) {
    const t = new FakePolicyTable();
    await t.apply(renderFull(desiredElements(model, node).elements));
    tables.set(node, t);
  }
  const bad: string[] = [];
  for (const [port, protocol] of queries) {
    for (let s = 0; s < u.size; s++) {
      for (let d = 0; d < u.size; d++) {
        const src = u.pods[s]!;
        const dst = u.pods[d]!;
        if (s === d || !src.ips.length || !dst.ips.length) continue;
        const packet = {
          saddr: src.ips[0]!,
          daddr: dst.ips[0]!,
          protocol: protocol.toLowerCase() as "tcp" | "udp",
          dport: port,
        };
        const q = { port, protocol, dst: d };
        const what = `${u.keyOf(s)} -> ${u.keyOf(d)} ${protocol}/${port}`;
        const onSrc = tables.get(src.node!)!.judge("forward", packet).steps;
        const eg = directionVerdict(model, "egress", s, { pod: d }, port, protocol);
        const wantEg = said(kernelDecision(model, "egress", eg, q));
        if (outcome(onSrc, "egress") !== wantEg)
          bad.push(`${what} egress: kernel ${outcome(onSrc, "egress")}, predicted ${wantEg}`);
        seen.add(wantEg.split(" ")[0]!);
        for (const ref of eg.allowedBy) for (const k of allowKindsOf(model, ref, q)) seen.add(`egress-${k}`);
        if (!eg.allowed) continue;
        const onDst = src.node === dst.node ? onSrc : tables.get(dst.node!)!.judge("forward", packet).steps;
        const ing = directionVerdict(model, "ingress", d, { pod: s }, port, protocol);
        const wantIn = said(kernelDecision(model, "ingress", ing, q));
        if (outcome(onDst, "ingress") !== wantIn)
          bad.push(`${what} ingress: kernel ${outcome(onDst, "ingress")}, predicted ${wantIn}`);
        seen.add(wantIn.split(" ")[0]!);
        for (const ref of ing.allowedBy)
          for (const k of allowKindsOf(model, ref, q)) seen.add(`ingress-${k}`);
      }
    }
  }
  return bad;
}

describe("kernelDecision", () => {
  const seen = new Set<string>();
  const opts = { namespaces: 4, podsPerNamespace: 8, appsPerNamespace: 3 };
  for (const seed of [11, 12]) {
    test(`seed ${seed}: predicts the rule the fake kernel reports, for every pair`, async () => {
      const r = rng(seed);
      const c = randomCluster(seed, opts);
      const policies = Array.from({ length: 14 }, (_, k) => randomPolicy(r, opts, `p${k}`));
      const model = new PolicyModel(new PodUniverse(c.pods, c.namespaces), policies);
      const queries: Array<[number, Protocol]> = [
        [80, "TCP"],
        [79, "TCP"],
        [9090, "TCP"],
        [53, "UDP"],
      ];
      assert.deepEqual((await compare(model, queries, seen)).slice(0, 10), []);
    });
  }

  test("the random policies exercised every outcome and allow-set shape", () => {
    for (const k of [
      "not",
      "drop",
      "return",
      "accept",
      "ingress-peer",
      "ingress-peer-port",
      "ingress-peer-range",
    ])
      assert.ok(seen.has(k), `${k} seen: ${[...seen].join(", ")}`);
  });

  test("trace-mix.yaml on the e2e topology: every shape the live cross-check relies on", async () => {
    const snap = await loadSnapshot([TOPOLOGY, join(POLICY_FIXTURES, "trace-mix.yaml")]);
    const mine = new Set<string>();
    const queries: Array<[number, Protocol]> = [
      [80, "TCP"],
      [81, "TCP"],
      [80, "UDP"],
      [81, "UDP"],
    ];
    assert.deepEqual(await compare(snap.model, queries, mine), []);
    for (const k of [
      "not",
      "drop",
      "return",
      "accept",
      "ingress-peer-port",
      "ingress-peer-proto",
      "ingress-any-range",
      "egress-peer",
      "egress-peer-port",
    ])
      assert.ok(mine.has(k), `${k} seen: ${[...mine].join(", ")}`);
  });
});
