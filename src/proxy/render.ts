/**
 * nft scripts for the proxy's table; each is applied as one `nft -f -` transaction.
 *  - structure: declares the table, its maps and sets, and every chain the desired state
 *    uses, and replaces those chains' rules, whether or not the table exists already (`add`
 *    is idempotent, then `flush chain`). Elements are left alone: a full sync then replaces
 *    every Service-derived set's contents in one nfnetlink transaction
 *    (ProxyTable.replaceElements), so at no moment do packets see a half-loaded table. It
 *    needs no listing first. The live affinity map is kept (clients stay on their endpoint
 *    across an agent restart), and conntrack is never touched, so established connections
 *    survive. `recreate` deletes the table first, for when the existing one cannot be reused
 *    (say, a map of another type).
 *  - full: the structure and the elements as one nft text transaction: what a full sync does,
 *    written out (the fake kernel's tests, and for reading).
 *  - cleanup: after a full sync, chains and sets the desired state no longer has (left empty
 *    and unreferenced by the flush) are deleted, from a listing of the table.
 *  - delta: only the elements that changed, new dynamic chains before the elements that
 *    reference them and unused ones after. Pure.
 */
import type { Plan } from "./element-index.js";
import {
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

export function renderStructure(
  c: RulesetConfig,
  dynamicChains: string[],
  opts: { recreate?: boolean } = {},
): string {
  const t = c.table;
  const lines: string[] = [`add table ip ${t}`];
  if (opts.recreate) lines.push(`delete table ip ${t}`, `add table ip ${t}`);
  for (const [name, d] of Object.entries(DECLARATIONS))
    lines.push(`add ${d.kind} ip ${t} ${name} { ${d.body}; }`);
  const chains = [...staticChains(c), ...dynamicChains.map((n) => dynamicChain(n, c))];
  // Every chain exists before any rule jumps to it. Only these chains are flushed: a chain
  // the desired state dropped keeps its rules for the elements that still jump to it until
  // the elements are replaced; cleanup deletes it then.
  for (const ch of chains) {
    lines.push(chainHead(t, ch));
    if (!opts.recreate) lines.push(`flush chain ip ${t} ${ch.name}`);
  }
  for (const ch of chains) lines.push(...ruleLines(t, ch));
  return `${lines.join("\n")}\n`;
}

export function renderFull(
  c: RulesetConfig,
  elements: Map<string, Array<{ key: string; value?: string }>>,
  dynamicChains: string[],
  opts: { recreate?: boolean } = {},
): string {
  const t = c.table;
  const lines: string[] = [];
  for (const set of STATIC_ELEMENT_SETS) {
    if (!opts.recreate) lines.push(`flush ${DECLARATIONS[set]!.kind} ip ${t} ${set}`);
    const items = elements.get(set) ?? [];
    if (items.length > 0) lines.push(...elementLines("add", t, set, items));
  }
  return renderStructure(c, dynamicChains, opts) + (lines.length > 0 ? `${lines.join("\n")}\n` : "");
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
