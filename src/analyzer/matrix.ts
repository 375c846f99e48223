/**
 * The reachability matrix of one port/protocol as a bit matrix, computed from the policy
 * model with pod-set algebra and kept up to date incrementally.
 *
 * reach[s][d] = s has an IP, d has an IP and listens on the port, and
 *               (s == d                                  loopback: policy never applies
 *                or (egress(s) allows d and ingress(d) allows s))
 *
 * egress(s) is one pod set per source (the union of its policies' rules' targets); ingress(d)
 * one set of sources per destination. Pods whose policies (and named-port resolution) are the
 * same share one set, so a cluster of 10,000 pods with 1,000 policies computes a few hundred
 * distinct sets. The ingress sets are rows per destination; a 32x32 block transpose turns them
 * into rows per source, so each source's row is three word-wide ANDs.
 *
 * update(affected) takes what PolicyModel.setPolicy/deletePolicy returns and recomputes only
 * the rows of sources whose egress changed and the columns of destinations whose ingress did.
 */
import {
  type Affected,
  type Bitset,
  bitset,
  egressRuleTargets,
  matchingIngressRules,
  type PolicyModel,
  type Protocol,
} from "../policy/index.js";

const { andInto, emptySet, fullSet, has, indices, orInto, setBit, transpose } = bitset;

let nextId = 1;
const ids = new WeakMap<object, number>();
function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) {
    id = nextId++;
    ids.set(o, id);
  }
  return id;
}

export class ReachabilityMatrix {
  readonly n: number;
  /** rows[s] bit d: s reaches d. */
  readonly rows: Bitset[];
  /** Pods that can be reached at all: an IP and a listener on the port. */
  private readonly targets: Bitset;
  private readonly everyone: Bitset;
  private readonly egress: Bitset[] = [];
  private readonly ingress: Bitset[] = [];
  /** admits[s] bit d: d's ingress admits s (the transpose of `ingress`). */
  private admits: Bitset[] = [];
  private egressMemo = new Map<string, Bitset>();
  private ingressMemo = new Map<string, Bitset>();

  constructor(
    readonly model: PolicyModel,
    readonly port: number,
    readonly protocol: Protocol,
    /** Pods listening on port/protocol. */
    listening: Bitset,
  ) {
    this.n = model.size;
    this.everyone = fullSet(this.n);
    this.targets = andInto(listening.slice(), model.universe.withIp);
    for (let i = 0; i < this.n; i++) {
      this.ingress.push(this.ingressOf(i));
      this.egress.push(this.egressOf(i));
    }
    this.admits = transpose(this.ingress, this.n);
    this.rows = Array.from({ length: this.n }, (_, s) => this.row(s));
  }

  allowed(s: number, d: number): boolean {
    return has(this.rows[s]!, d);
  }

  /** Recompute what a policy change touched. */
  update(affected: Affected): void {
    this.egressMemo.clear();
    this.ingressMemo.clear();
    const withIp = this.model.universe.withIp;
    for (const d of indices(affected.ingress)) {
      const sources = this.ingressOf(d);
      this.ingress[d] = sources;
      const target = has(this.targets, d);
      for (let s = 0; s < this.n; s++) {
        const admitted = has(sources, s);
        setBit(this.admits[s]!, d, admitted);
        const reach = target && has(withIp, s) && (s === d || (admitted && has(this.egress[s]!, d)));
        setBit(this.rows[s]!, d, reach);
      }
    }
    for (const s of indices(affected.egress)) {
      this.egress[s] = this.egressOf(s);
      this.rows[s] = this.row(s);
    }
  }

  private row(s: number): Bitset {
    const out = emptySet(this.n);
    if (!has(this.model.universe.withIp, s)) return out;
    const e = this.egress[s]!;
    const a = this.admits[s]!;
    const t = this.targets;
    for (let w = 0; w < out.length; w++) out[w] = e[w]! & a[w]! & t[w]!;
    setBit(out, s, has(t, s));
    return out;
  }

  /** Sources d admits (everyone when d is not isolated for ingress). */
  private ingressOf(d: number): Bitset {
    const rules = matchingIngressRules(this.model, d, this.port, this.protocol);
    if (rules === null) return this.everyone;
    const key = rules.map(idOf).join(",");
    let set = this.ingressMemo.get(key);
    if (!set) {
      set = emptySet(this.n);
      for (const r of rules) orInto(set, r.peerPods);
      this.ingressMemo.set(key, set);
    }
    return set;
  }

  /** Destinations s may open connections to (everyone when s is not isolated for egress). */
  private egressOf(s: number): Bitset {
    const policies = this.model.policiesFor(s, "egress");
    if (policies.length === 0) return this.everyone;
    const key = policies.map(idOf).join(",");
    let set = this.egressMemo.get(key);
    if (!set) {
      set = emptySet(this.n);
      const u = this.model.universe;
      for (const p of policies)
        for (const r of p.egress ?? []) orInto(set, egressRuleTargets(u, r, this.port, this.protocol));
      this.egressMemo.set(key, set);
    }
    return set;
  }
}
