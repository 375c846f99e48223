/**
 * PolicyModel: every NetworkPolicy of a cluster compiled against its pods, with the reverse
 * index "which policies isolate pod i for ingress / egress" (the union of all policies that
 * select a pod is what applies to it). Policies can be added, replaced and removed one at a
 * time; each change reports the pods whose ingress or egress rules it touched, so consumers
 * (the analyzer's matrix, later the nft enforcer's sets) recompute only those.
 *
 * Pod and namespace changes rebuild the model (a new PodUniverse): they move selector results
 * and ipBlocks of every policy.
 */
import { type Bitset, copy, emptySet, indices, orInto } from "./bitset.js";
import { compilePolicy, type NetworkPolicyLike, policyKey } from "./compile.js";
import type { CompiledPolicy, Direction } from "./types.js";
import type { PodUniverse } from "./universe.js";

/** Pods whose rules a change touched, per direction. */
export interface Affected {
  ingress: Bitset;
  egress: Bitset;
}

function byKey(a: CompiledPolicy, b: CompiledPolicy): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

export class PolicyModel {
  private readonly compiled = new Map<string, CompiledPolicy>();
  /** Pod index -> policies isolating it, sorted by key. */
  private readonly ingressOf: CompiledPolicy[][];
  private readonly egressOf: CompiledPolicy[][];

  constructor(
    readonly universe: PodUniverse,
    policies: readonly NetworkPolicyLike[] = [],
  ) {
    this.ingressOf = Array.from({ length: universe.size }, () => []);
    this.egressOf = Array.from({ length: universe.size }, () => []);
    for (const np of policies) {
      const cp = compilePolicy(np, universe);
      if (this.compiled.has(cp.key)) this.unlink(this.compiled.get(cp.key)!);
      this.compiled.set(cp.key, cp);
      this.link(cp, false);
    }
    for (const list of this.ingressOf) list.sort(byKey);
    for (const list of this.egressOf) list.sort(byKey);
  }

  get size(): number {
    return this.universe.size;
  }

  policies(): CompiledPolicy[] {
    return [...this.compiled.values()].sort(byKey);
  }

  policy(key: string): CompiledPolicy | undefined {
    return this.compiled.get(key);
  }

  /** The policies that isolate pod i in a direction (empty: not isolated), sorted by key. */
  policiesFor(pod: number, direction: Direction): readonly CompiledPolicy[] {
    return (direction === "ingress" ? this.ingressOf : this.egressOf)[pod]!;
  }

  isolated(pod: number, direction: Direction): boolean {
    return this.policiesFor(pod, direction).length > 0;
  }

  /** Add or replace a policy; returns the pods whose rules changed. */
  setPolicy(np: NetworkPolicyLike): Affected {
    const cp = compilePolicy(np, this.universe);
    const old = this.compiled.get(cp.key);
    const affected = old ? this.unlink(old) : this.none();
    this.compiled.set(cp.key, cp);
    const added = this.link(cp, true);
    orInto(affected.ingress, added.ingress);
    orInto(affected.egress, added.egress);
    return affected;
  }

  deletePolicy(namespace: string, name: string): Affected {
    const key = policyKey(namespace, name);
    const old = this.compiled.get(key);
    if (!old) return this.none();
    this.compiled.delete(key);
    return this.unlink(old);
  }

  private none(): Affected {
    return { ingress: emptySet(this.size), egress: emptySet(this.size) };
  }

  private touched(cp: CompiledPolicy): Affected {
    return {
      ingress: cp.ingress ? copy(cp.selected) : emptySet(this.size),
      egress: cp.egress ? copy(cp.selected) : emptySet(this.size),
    };
  }

  private link(cp: CompiledPolicy, sorted: boolean): Affected {
    for (const i of indices(cp.selected)) {
      if (cp.ingress) insert(this.ingressOf[i]!, cp, sorted);
      if (cp.egress) insert(this.egressOf[i]!, cp, sorted);
    }
    return this.touched(cp);
  }

  private unlink(cp: CompiledPolicy): Affected {
    for (const i of indices(cp.selected)) {
      if (cp.ingress) drop(this.ingressOf[i]!, cp);
      if (cp.egress) drop(this.egressOf[i]!, cp);
    }
    return this.touched(cp);
  }
}

function insert(list: CompiledPolicy[], cp: CompiledPolicy, sorted: boolean): void {
  if (!sorted) {
    list.push(cp);
    return;
  }
  let at = list.length;
  while (at > 0 && byKey(list[at - 1]!, cp) > 0) at--;
  list.splice(at, 0, cp);
}

function drop(list: CompiledPolicy[], cp: CompiledPolicy): void {
  const at = list.indexOf(cp);
  if (at >= 0) list.splice(at, 1);
}
