/**
 * nft scripts for the policy table; each is applied as one `nft -f -` transaction.
 *  - full: creates the table if missing, deletes it and builds it again with every element,
 *    all in one transaction, so packets see the old table or the new one, never a gap. The
 *    table holds no live state (unlike the proxy's affinity map) and conntrack is untouched,
 *    so established connections survive a resync.
 *  - delta: only the elements that differ between what the kernel was last given and what is
 *    desired now: every delete before any add (an interval that moves is deleted, then
 *    re-added). Empty text when nothing differs. Pure.
 */
import type { Elements } from "./elements.js";
import { chains, DECLARATIONS, POLICY_FAMILY, POLICY_TABLE } from "./ruleset.js";

/** Elements per `add element` statement: keeps lines reasonable for nft's parser. */
const BATCH = 1000;

function elementLines(
  verb: "add" | "delete",
  table: string,
  set: string,
  items: Array<[string, string]>,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < items.length; i += BATCH) {
    const part = items.slice(i, i + BATCH).map(([k, v]) => (verb === "add" && v !== "" ? `${k} : ${v}` : k));
    out.push(`${verb} element ${POLICY_FAMILY} ${table} ${set} { ${part.join(", ")} }`);
  }
  return out;
}

export function renderFull(elements: Elements, table = POLICY_TABLE): string {
  const t = `${POLICY_FAMILY} ${table}`;
  const lines = [`add table ${t}`, `delete table ${t}`, `add table ${t}`];
  for (const [name, d] of DECLARATIONS) lines.push(`add ${d.kind} ${t} ${name} { ${d.body}; }`);
  const all = chains();
  for (const ch of all)
    lines.push(ch.hook ? `add chain ${t} ${ch.name} { ${ch.hook} }` : `add chain ${t} ${ch.name}`);
  for (const ch of all) for (const r of ch.rules) lines.push(`add rule ${t} ${ch.name} ${r}`);
  for (const [set, items] of elements)
    if (items.size > 0) lines.push(...elementLines("add", table, set, [...items]));
  return `${lines.join("\n")}\n`;
}

export interface ElementDelta {
  deletes: Map<string, Array<[string, string]>>;
  adds: Map<string, Array<[string, string]>>;
  /** Elements deleted plus elements added. */
  count: number;
}

/** What changes from `before` to `after`, per set (a changed map value: delete and add). */
export function elementChanges(before: Elements, after: Elements): ElementDelta {
  const delta: ElementDelta = { deletes: new Map(), adds: new Map(), count: 0 };
  const push = (m: Map<string, Array<[string, string]>>, set: string, kv: [string, string]) => {
    const list = m.get(set);
    if (list) list.push(kv);
    else m.set(set, [kv]);
    delta.count++;
  };
  for (const set of new Set([...before.keys(), ...after.keys()])) {
    const b = before.get(set) ?? new Map<string, string>();
    const a = after.get(set) ?? new Map<string, string>();
    for (const [k, v] of b) if (a.get(k) !== v) push(delta.deletes, set, [k, v]);
    for (const [k, v] of a) if (b.get(k) !== v) push(delta.adds, set, [k, v]);
  }
  return delta;
}

export function renderChanges(delta: ElementDelta, table = POLICY_TABLE): string {
  const lines: string[] = [];
  for (const [set, items] of delta.deletes) lines.push(...elementLines("delete", table, set, items));
  for (const [set, items] of delta.adds) lines.push(...elementLines("add", table, set, items));
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

export function renderDelta(before: Elements, after: Elements, table = POLICY_TABLE): string {
  return renderChanges(elementChanges(before, after), table);
}
