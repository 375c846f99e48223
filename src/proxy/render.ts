/**
 * nft scripts for the proxy's table; each is applied as one `nft -f -` transaction.
 *  - full: declares everything and empties every rule and Service-derived set whether or not
 *    the table exists already (`add` is idempotent, then `flush`), and loads the whole desired
 *    state. It needs no listing of the table first, so a full sync is compute plus one
 *    transaction. The live affinity map is kept (clients stay on their endpoint across an
 *    agent restart), and conntrack is never touched, so established connections survive.
 *    `recreate` deletes the table first, for when the existing one cannot be reused (say, a
 *    map of another type).
 *  - cleanup: after a full sync, chains and sets the desired state no longer has (left empty
 *    and unreferenced by the flush) are deleted, from a listing of the table.
 *  - delta: only the elements that changed, new dynamic chains before the elements that
 *    reference them and unused ones after. Pure.
 */
import type { Plan } from "./element-index.js";
import {
  AFFINITY_MAP,
  type ChainSpec,
  DECLARATIONS,
  dynamicChainRules,
  type RulesetConfig,
  STATIC_CHAIN_NAMES,
  STATIC_ELEMENT_SETS,
  staticChains,
} from "./ruleset.js";

/** Elements per `add element` statement: keeps lines reasonable for nft's parser. */
const BATCH = 1000;

export interface ExistingObjects {
  chains: string[];
  sets: string[];
}

function chainHead(table: string, ch: ChainSpec): string {
  return ch.hook ? `add chain ip ${table} ${ch.name} { ${ch.hook} }` : `add chain ip ${table} ${ch.name}`;
}

function ruleLines(table: string, ch: ChainSpec): string[] {
  return ch.rules.map((r) => `add rule ip ${table} ${ch.name} ${r}`);
}

function dynamicChain(name: string, c: RulesetConfig): ChainSpec {
  const rules = dynamicChainRules(name, c);
  if (!rules) throw new Error(`proxy: no rules known for chain "${name}"`);
  return { name, rules };
}

function elementLines(
  verb: "add" | "delete",
  table: string,
  set: string,
  items: Array<{ key: string; value?: string }>,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < items.length; i += BATCH) {
    const part = items
      .slice(i, i + BATCH)
      .map((e) => (verb === "add" && e.value !== undefined ? `${e.key} : ${e.value}` : e.key));
    out.push(`${verb} element ip ${table} ${set} { ${part.join(", ")} }`);
  }
  return out;
}

export function renderFull(
  c: RulesetConfig,
  elements: Map<string, Array<{ key: string; value?: string }>>,
  dynamicChains: string[],
  opts: { recreate?: boolean } = {},
): string {
  const t = c.table;
  const lines: string[] = [`add table ip ${t}`];
  if (opts.recreate) lines.push(`delete table ip ${t}`, `add table ip ${t}`);
  else lines.push(`flush table ip ${t}`);
  for (const [name, d] of Object.entries(DECLARATIONS)) {
    lines.push(`add ${d.kind} ip ${t} ${name} { ${d.body}; }`);
    if (name !== AFFINITY_MAP && !opts.recreate) lines.push(`flush ${d.kind} ip ${t} ${name}`);
  }
  const chains = [...staticChains(c), ...dynamicChains.map((n) => dynamicChain(n, c))];
  // Every chain exists before any rule jumps to it.
  for (const ch of chains) lines.push(chainHead(t, ch));
  for (const ch of chains) lines.push(...ruleLines(t, ch));
  for (const set of STATIC_ELEMENT_SETS) {
    const items = elements.get(set) ?? [];
    if (items.length > 0) lines.push(...elementLines("add", t, set, items));
  }
  return `${lines.join("\n")}\n`;
}

/** Deletes what a full sync left behind: chains not in `dynamicChains` nor static, unknown sets. */
export function renderCleanup(c: RulesetConfig, existing: ExistingObjects, dynamicChains: string[]): string {
  const t = c.table;
  const wanted = new Set([...STATIC_CHAIN_NAMES, ...dynamicChains]);
  const lines: string[] = [];
  for (const name of existing.chains) if (!wanted.has(name)) lines.push(`delete chain ip ${t} ${name}`);
  for (const name of existing.sets) if (!(name in DECLARATIONS)) lines.push(`delete set ip ${t} ${name}`);
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

export function renderDelta(c: RulesetConfig, plan: Plan): string {
  const t = c.table;
  const lines: string[] = [];
  for (const name of plan.chainsAdded) {
    const ch = dynamicChain(name, c);
    lines.push(chainHead(t, ch), ...ruleLines(t, ch));
  }
  const bySet = (pick: (ch: Plan["changes"][number]) => boolean) => {
    const m = new Map<string, Array<{ key: string; value?: string }>>();
    for (const ch of plan.changes) {
      if (!pick(ch)) continue;
      let list = m.get(ch.set);
      if (!list) {
        list = [];
        m.set(ch.set, list);
      }
      list.push(
        ch.after === undefined || ch.after === "" ? { key: ch.key } : { key: ch.key, value: ch.after },
      );
    }
    return m;
  };
  for (const [set, items] of bySet((ch) => ch.before !== undefined)) {
    lines.push(...elementLines("delete", t, set, items));
  }
  for (const [set, items] of bySet((ch) => ch.after !== undefined)) {
    lines.push(...elementLines("add", t, set, items));
  }
  for (const name of plan.chainsRemoved) lines.push(`delete chain ip ${t} ${name}`);
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
