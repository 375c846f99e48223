/**
 * What the proxy believes its table holds: every element with the owners (Services) that want
 * it, and the dynamic chains the elements' verdicts reference. A sync plans a change for the
 * dirty owners only (plan), applies it to the kernel, and commits the plan here once the
 * kernel accepted it; a failed apply leaves the index as it was (and the proxier resyncs in
 * full, building a fresh index in one pass). Two owners wanting the same key (two Services
 * claiming one ClusterIP:port) resolve to the lexically first owner, reported as a conflict,
 * never as a failed transaction.
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

/**
 * The owners of one element and the value each wants ("" for set elements). Nearly every
 * element has one owner, so that case is a plain record; a Map only appears when Services
 * collide on a key (it is what the index spends its memory and time on at 10,000 Services).
 */
type Owners = { owner: string; value: string } | Map<string, string>;

const SET_ELEMENT = "";

function asMap(o: Owners | undefined): Map<string, string> {
  if (!o) return new Map();
  return o instanceof Map ? new Map(o) : new Map([[o.owner, o.value]]);
}

/** The compact form of an owner map (undefined when empty). */
function compact(m: Map<string, string>): Owners | undefined {
  if (m.size === 0) return undefined;
  if (m.size > 1) return m;
  const [owner, value] = m.entries().next().value as [string, string];
  return { owner, value };
}

export class ElementIndex {
  /** set -> key -> owners. */
  private wanted = new Map<string, Map<string, Owners>>();
  private byOwner = new Map<string, Element[]>();
  private chainUse = new Map<string, number>();

  /** An index holding exactly these owners' elements, built in one pass (full syncs). */
  static build(owners: Map<string, Element[]>): { index: ElementIndex; conflicts: string[] } {
    const index = new ElementIndex();
    for (const [owner, elements] of owners) {
      if (elements.length === 0) continue;
      index.byOwner.set(owner, elements);
      for (const el of elements) {
        const keys = index.keysOf(el.set);
        const value = el.value ?? SET_ELEMENT;
        const had = keys.get(el.key);
        if (!had) keys.set(el.key, { owner, value });
        else if (had instanceof Map) had.set(owner, value);
        else if (had.owner === owner) keys.set(el.key, { owner, value });
        else keys.set(el.key, new Map([[had.owner, had.value]]).set(owner, value));
      }
    }
    const conflicts: string[] = [];
    for (const [set, keys] of index.wanted) {
      for (const [key, owners] of keys) {
        if (owners instanceof Map && new Set(owners.values()).size > 1)
          conflicts.push(conflict(set, key, owners));
        index.use(winner(owners), +1);
      }
    }
    return { index, conflicts };
  }

  elementsOf(owner: string): Element[] {
    return this.byOwner.get(owner) ?? [];
  }

  /** Dynamic chains referenced by at least one effective element. */
  chains(): string[] {
    return [...this.chainUse.keys()].sort();
  }

  /** Every effective element, grouped by set (for a full sync). */
  effective(): Map<string, Array<{ key: string; value?: string }>> {
    const out = new Map<string, Array<{ key: string; value?: string }>>();
    for (const [set, keys] of this.wanted) {
      const list: Array<{ key: string; value?: string }> = [];
      for (const [key, owners] of keys) {
        const value = winner(owners)!;
        list.push(value === SET_ELEMENT ? { key } : { key, value });
      }
      out.set(set, list);
    }
    return out;
  }

  /** The change that replacing these owners' elements would make (nothing is modified). */
  plan(updates: Map<string, Element[]>): Plan {
    // set\0key -> owners after the update (copies; the index is untouched).
    const overlay = new Map<string, { set: string; key: string; owners: Map<string, string> }>();
    const touch = (set: string, key: string) => {
      const id = `${set}\u0000${key}`;
      let o = overlay.get(id);
      if (!o) {
        o = { set, key, owners: asMap(this.wanted.get(set)?.get(key)) };
        overlay.set(id, o);
      }
      return o.owners;
    };
    for (const [owner, next] of updates) {
      for (const el of this.byOwner.get(owner) ?? []) touch(el.set, el.key).delete(owner);
      for (const el of next) touch(el.set, el.key).set(owner, el.value ?? SET_ELEMENT);
    }
    const changes: ElementChange[] = [];
    const conflicts: string[] = [];
    const use = new Map<string, number>();
    const bump = (value: string | undefined, by: number) => {
      const chain = dynamicChainOf(value);
      if (chain) use.set(chain, (use.get(chain) ?? 0) + by);
    };
    for (const { set, key, owners } of overlay.values()) {
      const before = winner(this.wanted.get(set)?.get(key));
      const after = winner(owners);
      if (owners.size > 1 && new Set(owners.values()).size > 1) conflicts.push(conflict(set, key, owners));
      if (before === after) continue;
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
        const keys = this.wanted.get(el.set);
        const owners = keys?.get(el.key);
        if (!keys || !owners) continue;
        const m = asMap(owners);
        m.delete(owner);
        const rest = compact(m);
        if (rest) keys.set(el.key, rest);
        else keys.delete(el.key);
      }
      for (const el of next) {
        const keys = this.keysOf(el.set);
        const value = el.value ?? SET_ELEMENT;
        const had = keys.get(el.key);
        if (!had || (!(had instanceof Map) && had.owner === owner)) keys.set(el.key, { owner, value });
        else keys.set(el.key, asMap(had).set(owner, value));
      }
      if (next.length > 0) this.byOwner.set(owner, next);
      else this.byOwner.delete(owner);
    }
    for (const c of plan.changes) {
      this.use(c.before, -1);
      this.use(c.after, +1);
    }
  }

  private keysOf(set: string): Map<string, Owners> {
    let keys = this.wanted.get(set);
    if (!keys) {
      keys = new Map();
      this.wanted.set(set, keys);
    }
    return keys;
  }

  private use(value: string | undefined, by: number): void {
    const chain = dynamicChainOf(value);
    if (!chain) return;
    const n = (this.chainUse.get(chain) ?? 0) + by;
    if (n > 0) this.chainUse.set(chain, n);
    else this.chainUse.delete(chain);
  }
}

function conflict(set: string, key: string, owners: Map<string, string>): string {
  const names = [...owners.keys()].sort();
  return `${set} ${key}: wanted by ${names.join(", ")}; ${names[0]} wins`;
}

/** The effective value: that of the lexically first owner. */
function winner(owners: Owners | undefined): string | undefined {
  if (!owners) return undefined;
  if (!(owners instanceof Map)) return owners.value;
  if (owners.size === 0) return undefined;
  let best: string | undefined;
  for (const o of owners.keys()) if (best === undefined || o < best) best = o;
  return owners.get(best!);
}
