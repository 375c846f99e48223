/**
 * What the proxy believes its table holds: every element with the owners (Services) that want
 * it, and the dynamic chains the elements' verdicts reference. A sync plans a change for the
 * dirty owners only (plan), applies it to the kernel, and commits the plan here once the
 * kernel accepted it; a failed apply leaves the index as it was (and the proxier resyncs in
 * full). Two owners wanting the same key (two Services claiming one ClusterIP:port) resolve to
 * the lexically first owner, reported as a conflict, never as a failed transaction.
 */

import type { Element } from "./elements.js";
import { dynamicChainOf } from "./ruleset.js";

export interface ElementChange {
  set: string;
  key: string;
  /** Value before (undefined: absent; "" for a present set element). */
  before?: string;
  after?: string;
}

export interface Plan {
  changes: ElementChange[];
  chainsAdded: string[];
  chainsRemoved: string[];
  conflicts: string[];
  /** The owners' new element lists, applied by commit(). */
  owners: Map<string, Element[]>;
}

const SET_ELEMENT = "";
const id = (set: string, key: string) => `${set}\u0000${key}`;

export class ElementIndex {
  /** set\0key -> owner -> value ("" for set elements). */
  private wanted = new Map<string, Map<string, string>>();
  private byOwner = new Map<string, Element[]>();
  private chainUse = new Map<string, number>();

  elementsOf(owner: string): Element[] {
    return this.byOwner.get(owner) ?? [];
  }

  owners(): string[] {
    return [...this.byOwner.keys()];
  }

  /** Dynamic chains referenced by at least one effective element. */
  chains(): string[] {
    return [...this.chainUse.keys()].sort();
  }

  /** Every effective element, grouped by set (for a full sync). */
  effective(): Map<string, Array<{ key: string; value?: string }>> {
    const out = new Map<string, Array<{ key: string; value?: string }>>();
    for (const [k, owners] of this.wanted) {
      const [set, key] = k.split("\u0000") as [string, string];
      const value = winner(owners)!;
      let list = out.get(set);
      if (!list) {
        list = [];
        out.set(set, list);
      }
      list.push(value === SET_ELEMENT ? { key } : { key, value });
    }
    return out;
  }

  /** The change that replacing these owners' elements would make (nothing is modified). */
  plan(updates: Map<string, Element[]>): Plan {
    const overlay = new Map<string, Map<string, string>>();
    const touch = (k: string) => {
      let m = overlay.get(k);
      if (!m) {
        m = new Map(this.wanted.get(k) ?? []);
        overlay.set(k, m);
      }
      return m;
    };
    for (const [owner, next] of updates) {
      for (const el of this.byOwner.get(owner) ?? []) touch(id(el.set, el.key)).delete(owner);
      for (const el of next) touch(id(el.set, el.key)).set(owner, el.value ?? SET_ELEMENT);
    }
    const changes: ElementChange[] = [];
    const conflicts: string[] = [];
    const use = new Map<string, number>();
    const bump = (value: string | undefined, by: number) => {
      const chain = dynamicChainOf(value);
      if (chain) use.set(chain, (use.get(chain) ?? 0) + by);
    };
    for (const [k, owners] of overlay) {
      const before = winner(this.wanted.get(k));
      const after = winner(owners);
      const distinct = new Set(owners.values());
      if (distinct.size > 1) {
        const [set, key] = k.split("\u0000");
        conflicts.push(
          `${set} ${key}: wanted by ${[...owners.keys()].sort().join(", ")}; ${[...owners.keys()].sort()[0]} wins`,
        );
      }
      if (before === after) continue;
      const [set, key] = k.split("\u0000") as [string, string];
      const change: ElementChange = { set, key };
      if (before !== undefined) change.before = before;
      if (after !== undefined) change.after = after;
      changes.push(change);
      bump(before, -1);
      bump(after, +1);
    }
    const chainsAdded: string[] = [];
    const chainsRemoved: string[] = [];
    for (const [chain, delta] of use) {
      const was = this.chainUse.get(chain) ?? 0;
      if (was === 0 && was + delta > 0) chainsAdded.push(chain);
      if (was > 0 && was + delta === 0) chainsRemoved.push(chain);
    }
    return {
      changes,
      chainsAdded: chainsAdded.sort(),
      chainsRemoved: chainsRemoved.sort(),
      conflicts,
      owners: updates,
    };
  }

  /** Make a planned change true here (after the kernel accepted it). */
  commit(plan: Plan): void {
    for (const [owner, next] of plan.owners) {
      for (const el of this.byOwner.get(owner) ?? []) {
        const k = id(el.set, el.key);
        const m = this.wanted.get(k);
        m?.delete(owner);
        if (m && m.size === 0) this.wanted.delete(k);
      }
      for (const el of next) {
        const k = id(el.set, el.key);
        let m = this.wanted.get(k);
        if (!m) {
          m = new Map();
          this.wanted.set(k, m);
        }
        m.set(owner, el.value ?? SET_ELEMENT);
      }
      if (next.length > 0) this.byOwner.set(owner, next);
      else this.byOwner.delete(owner);
    }
    for (const c of plan.changes) {
      const by = (v: string | undefined, d: number) => {
        const chain = dynamicChainOf(v);
        if (!chain) return;
        const n = (this.chainUse.get(chain) ?? 0) + d;
        if (n > 0) this.chainUse.set(chain, n);
        else this.chainUse.delete(chain);
      };
      by(c.before, -1);
      by(c.after, +1);
    }
  }
}

/** The effective value: that of the lexically first owner. */
function winner(owners: Map<string, string> | undefined): string | undefined {
  if (!owners || owners.size === 0) return undefined;
  let best: string | undefined;
  for (const o of owners.keys()) if (best === undefined || o < best) best = o;
  return owners.get(best!);
}
