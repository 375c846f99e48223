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

const { andInto, emptySet, fullSet, has, indices, orInto, setBit, transpose, transpose32 } = bitset;

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
    const changed = indices(affected.ingress);
    for (const d of changed) this.ingress[d] = this.ingressOf(d);
    // Rewrite the admits columns of the changed destinations a 32 x 32 block at a time: for
    // each word of destinations touched, transpose their ingress rows chunk by chunk of
    // sources and splice the changed bits in; then recompute that word of each source's row.
    const masks = new Map<number, number>();
    for (const d of changed) masks.set(d >>> 5, (masks.get(d >>> 5) ?? 0) | (1 << (d & 31)));
    const block = new Uint32Array(32);
    for (const [w, mask] of masks) {
      for (let sw = 0; sw < this.everyone.length; sw++) {
        for (let r = 0; r < 32; r++) block[r] = this.ingress[(w << 5) + r]?.[sw] ?? 0;
        transpose32(block);
        for (let c = 0; c < 32; c++) {
          const s = (sw << 5) + c;
          if (s >= this.n) break;
          const a = this.admits[s]!;
          a[w] = (a[w]! & ~mask) | (block[c]! & mask);
          this.rows[s]![w] = this.rowWord(s, w);
        }
      }
    }
    for (const s of indices(affected.egress)) {
      this.egress[s] = this.egressOf(s);
      this.rows[s] = this.row(s);
    }
  }

  /** Word w of source s's row. */
  private rowWord(s: number, w: number): number {
    if (!has(this.model.universe.withIp, s)) return 0;
    let word = this.egress[s]![w]! & this.admits[s]![w]! & this.targets[w]!;
    if (s >>> 5 === w) {
      const bit = 1 << (s & 31);
      word = (word & ~bit) | (this.targets[w]! & bit);
    }
    return word;
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
