/**
 * The proxy's handle on its nftables table, and the real implementation: `nft` run inside the
 * node's network namespace (never the root one). Every change is one `nft -f -` transaction,
 * all or nothing; a full sync's elements go in one nfnetlink transaction instead
 * (src/kernel/nft-set-elements.ts: nft's parser would cost ~7 us per element). Reads are JSON and terse (no set contents) unless elements are asked for.
 * src/proxy/nft-fake.ts implements the same interface in memory for unit tests.
 */
import { CommandError, run } from "../kernel/exec.js";
import { parseLayout, replaceSetsBatch, type SetLayout, sendBatch } from "../kernel/nft-set-elements.js";
import type { ExistingObjects } from "./render.js";
import { DECLARATIONS } from "./ruleset.js";

export interface MapElement {
  /** Key fields as nft prints them, e.g. ["10.244.1.2", "10.96.0.7", "tcp", "80"]. */
  key: string[];
  value: string[];
}

export interface ProxyTable {
  /** Apply one transaction; throws (with nft's message) when the kernel refuses any of it. */
  apply(script: string): Promise<void>;
  /**
   * Replace the contents of each named set or map (declared already) in one transaction:
   * all of them, or, when the kernel refuses anything, none. With `after`, the transaction is
   * prepared at once and sent only once `after` has resolved (nothing is sent if it rejects).
   */
  replaceElements(
    sets: Map<string, Array<{ key: string; value?: string }>>,
    after?: Promise<unknown>,
  ): Promise<void>;
  /** Names of the table's chains and sets; undefined when the table does not exist. */
  objects(): Promise<ExistingObjects | undefined>;
  /** The elements of one map or set (the live affinity map; tests). */
  listElements(name: string): Promise<MapElement[]>;
}

type Json = Record<string, unknown>;

function fieldText(v: unknown): string {
  if (typeof v === "string" || typeof v === "number") return String(v);
  // Verdicts: {"goto": {"target": "x"}}, {"jump": {...}}, {"drop": null}, {"accept": null}.
  if (v && typeof v === "object") {
    const [verb, arg] = Object.entries(v as Json)[0] ?? [];
    if ((verb === "goto" || verb === "jump") && arg && typeof arg === "object")
      return `${verb} ${(arg as Json).target}`;
    if ((verb === "drop" || verb === "accept" || verb === "return") && arg === null) return verb;
  }
  if (v && typeof v === "object" && "prefix" in (v as Json)) {
    const p = (v as { prefix: { addr: string; len: number } }).prefix;
    return `${p.addr}/${p.len}`;
  }
  return JSON.stringify(v);
}

function fields(v: unknown): string[] {
  if (v && typeof v === "object" && "concat" in (v as Json))
    return ((v as Json).concat as unknown[]).map(fieldText);
  if (v && typeof v === "object" && "elem" in (v as Json)) return fields(((v as Json).elem as Json).val);
  return [fieldText(v)];
}

/** Parse `nft -j list map` output into elements. */
export function parseMapElements(json: string): MapElement[] {
  const doc = JSON.parse(json) as { nftables: Json[] };
  const out: MapElement[] = [];
  for (const item of doc.nftables) {
    const m = (item.map ?? item.set) as { elem?: unknown[] } | undefined;
    for (const e of m?.elem ?? []) {
      if (Array.isArray(e)) out.push({ key: fields(e[0]), value: fields(e[1]) });
      else out.push({ key: fields(e), value: [] });
    }
  }
  return out;
}

/** Parse `nft -t -j list table` output into chain and set names. */
export function parseObjects(json: string): ExistingObjects {
  const doc = JSON.parse(json) as { nftables: Json[] };
  const chains: string[] = [];
  const sets: string[] = [];
  for (const item of doc.nftables) {
    if (item.chain) chains.push((item.chain as { name: string }).name);
    const s = (item.set ?? item.map) as { name: string } | undefined;
    if (s) sets.push(s.name);
  }
  return { chains, sets };
}

const layouts = new Map<string, SetLayout>();
function layoutOf(name: string): SetLayout {
  let l = layouts.get(name);
  if (!l) {
    const d = DECLARATIONS[name];
    if (!d) throw new Error(`proxy: no declaration for set "${name}"`);
    l = parseLayout(d.body);
    layouts.set(name, l);
  }
  return l;
}

const missing = (e: unknown) => e instanceof CommandError && /No such file or directory/.test(e.stderr);

export class NftProxyTable implements ProxyTable {
  constructor(
    private readonly netns: string,
    private readonly table: string,
  ) {
    if (!netns)
      throw new Error("NftProxyTable needs a network namespace: the proxy never programs the root one");
  }

  async apply(script: string): Promise<void> {
    if (script === "") return;
    await run(["nft", "-f", "-"], { netns: this.netns, input: script, timeoutMs: 300_000 });
  }

  async replaceElements(
    sets: Map<string, Array<{ key: string; value?: string }>>,
    after?: Promise<unknown>,
  ): Promise<void> {
    const batch = replaceSetsBatch(
      "ip",
      this.table,
      [...sets].map(([name, elements]) => ({ name, layout: layoutOf(name), elements })),
    );
    await after;
    await sendBatch(this.netns, batch);
  }

  async objects(): Promise<ExistingObjects | undefined> {
    try {
      return parseObjects(
        await run(["nft", "-t", "-j", "list", "table", "ip", this.table], { netns: this.netns }),
      );
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
  }

  async listElements(name: string): Promise<MapElement[]> {
    const kind = DECLARATIONS[name]?.kind ?? "map";
    try {
      return parseMapElements(
        await run(["nft", "-j", "list", kind, "ip", this.table, name], { netns: this.netns }),
      );
    } catch (e) {
      if (missing(e)) return [];
      throw e;
    }
  }
}
