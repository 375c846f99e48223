/**
 * The bit-matrix path against the explaining path: on random clusters with random policies
 * (every selector, peer and port form), ReachabilityMatrix must agree with connectionVerdict
 * on every pair, and after random policy changes an incrementally updated matrix must equal a
 * freshly computed one.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type Affected,
  bitset,
  connectionVerdict,
  type NetworkPolicyLike,
  PodUniverse,
  PolicyModel,
  type Protocol,
} from "../policy/index.js";
import { ReachabilityMatrix } from "./matrix.js";
import { type RandomClusterOptions, randomCluster, randomPolicy, rng } from "./random-cluster.js";

const opts: RandomClusterOptions = {
  namespaces: 5,
  podsPerNamespace: 9,
  appsPerNamespace: 4,
  pendingRatio: 0.05,
};
const queries: Array<[number, Protocol]> = [
  [80, "TCP"],
  [81, "TCP"],
  [53, "UDP"],
  [9090, "TCP"],
];

function listening(u: PodUniverse, seed: number): bitset.Bitset {
  const r = rng(seed);
  return bitset.fromIndices(
    u.size,
    u.pods.map((_, i) => i).filter(() => r() < 0.85),
  );
}

function bruteForce(
  model: PolicyModel,
  listen: bitset.Bitset,
  s: number,
  d: number,
  port: number,
  proto: Protocol,
) {
  const u = model.universe;
  if (!bitset.has(u.withIp, s) || !bitset.has(u.withIp, d) || !bitset.has(listen, d)) return false;
  return s === d || connectionVerdict(model, { pod: s }, { pod: d }, port, proto).allowed;
}

function assertMatches(m: ReachabilityMatrix, model: PolicyModel, listen: bitset.Bitset, what: string): void {
  const wrong: string[] = [];
  for (let s = 0; s < model.size; s++) {
    for (let d = 0; d < model.size; d++) {
      const want = bruteForce(model, listen, s, d, m.port, m.protocol);
      if (m.allowed(s, d) !== want)
        wrong.push(`${model.universe.keyOf(s)} -> ${model.universe.keyOf(d)}: ${want}`);
    }
  }
  assert.deepEqual(wrong.slice(0, 5), [], `${what} ${m.protocol}/${m.port}: ${wrong.length} pairs differ`);
}

describe("ReachabilityMatrix", () => {
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`agrees with per-connection verdicts on random cluster ${seed}`, () => {
      const r = rng(seed * 7919);
      const cluster = randomCluster(seed, opts);
      const u = new PodUniverse(cluster.pods, cluster.namespaces);
      const policies = Array.from({ length: 12 }, (_, i) => randomPolicy(r, opts, `p${i}`));
      const model = new PolicyModel(u, policies);
      const listen = listening(u, seed);
      for (const [port, proto] of queries)
        assertMatches(new ReachabilityMatrix(model, port, proto, listen), model, listen, "fresh");
    });
  }

  for (const seed of [11, 12, 13]) {
    test(`incremental updates equal a fresh computation (seed ${seed})`, () => {
      const r = rng(seed);
      const cluster = randomCluster(seed, opts);
      const u = new PodUniverse(cluster.pods, cluster.namespaces);
      const listen = listening(u, seed);
      const current = new Map<string, NetworkPolicyLike>();
      const set = (np: NetworkPolicyLike) => {
        current.set(`${np.metadata.namespace}/${np.metadata.name}`, np);
        return model.setPolicy(np);
      };
      const model = new PolicyModel(u, []);
      for (let i = 0; i < 8; i++) set(randomPolicy(r, opts, `p${i}`));
      const matrices = queries.map(([port, proto]) => new ReachabilityMatrix(model, port, proto, listen));
      for (let step = 0; step < 25; step++) {
        const name = `p${Math.floor(r() * 12)}`;
        const victim = model.policies().find((p) => p.name === name);
        let affected: Affected;
        if (victim && r() < 0.3) {
          current.delete(victim.key);
          affected = model.deletePolicy(victim.namespace, name);
        } else {
          // The same name may land in another namespace: then it is a new policy.
          affected = set(randomPolicy(r, opts, name));
        }
        for (const m of matrices) m.update(affected);
      }
      const fresh = new PolicyModel(new PodUniverse(cluster.pods, cluster.namespaces), [...current.values()]);
      assert.deepEqual(
        fresh.policies().map((p) => p.key),
        model.policies().map((p) => p.key),
      );
      for (const m of matrices) {
        const again = new ReachabilityMatrix(fresh, m.port, m.protocol, listen);
        for (let s = 0; s < m.n; s++)
          assert.ok(bitset.equals(m.rows[s]!, again.rows[s]!), `row ${s} ${m.protocol}/${m.port}`);
        assertMatches(m, model, listen, "updated");
      }
    });
  }

  test("loopback needs only an IP and a listener; pending pods are never reachable", () => {
    const cluster = randomCluster(99, { namespaces: 1, podsPerNamespace: 3, appsPerNamespace: 1 });
    cluster.pods[2] = { ...cluster.pods[2]!, ips: [] };
    const u = new PodUniverse(cluster.pods, cluster.namespaces);
    const deny = {
      metadata: { namespace: "ns-0", name: "deny" },
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    };
    const model = new PolicyModel(u, [deny]);
    const listen = bitset.fromIndices(3, [0, 2]);
    const m = new ReachabilityMatrix(model, 80, "TCP", listen);
    assert.deepEqual(
      m.rows.map((r) => bitset.indices(r)),
      [[0], [], []],
    );
  });
});
