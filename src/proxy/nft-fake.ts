/**
 * A fake ProxyTable: interprets the nft commands the proxy emits with the kernel's semantics
 * (checked against nft 1.0.6 on Linux 6.x), so unit tests can run full and incremental syncs
 * and compare the resulting tables:
 *  - a script is one transaction: any error leaves the table as it was;
 *  - `add` of an existing chain, set or identical element is a no-op; an element with the same
 *    key and other data is "File exists"; deleting a missing element is "No such file";
 *  - a chain referenced by a rule or a verdict element cannot be deleted ("busy"), nor a set
 *    used by a rule; rules and verdicts may only reference existing chains and sets;
 *  - `flush table` empties every chain but keeps sets and their elements;
 *  - element keys and data must have as many fields as the declaration says.
 * Dynamic (packet-path) elements such as affinity entries are injected with addDynamic().
 */
import type { MapElement, ProxyTable } from "./nft.js";
import type { ExistingObjects } from "./render.js";

interface FakeSet {
  kind: "map" | "set";
  body: string;
  keyFields: number;
  dataFields: number;
  elements: Map<string, string>;
}

interface FakeChain {
  hook?: string;
  rules: string[];
}

interface FakeState {
  tables: Map<string, { chains: Map<string, FakeChain>; sets: Map<string, FakeSet> }>;
}

export class NftError extends Error {}

function clone(s: FakeState): FakeState {
  const tables = new Map();
  for (const [n, t] of s.tables) {
    tables.set(n, {
      chains: new Map([...t.chains].map(([k, c]) => [k, { hook: c.hook, rules: [...c.rules] }])),
      sets: new Map([...t.sets].map(([k, v]) => [k, { ...v, elements: new Map(v.elements) }])),
    });
  }
  return { tables };
}

const chainRefs = (text: string) => [...text.matchAll(/\b(?:jump|goto) ([\w.-]+)/g)].map((m) => m[1]!);
const setRefs = (text: string) => [...text.matchAll(/@([\w.-]+)/g)].map((m) => m[1]!);

function declaration(kind: "map" | "set", body: string): FakeSet {
  const main = body.split(";")[0]!.replace(/^\s*(type|typeof)\s+/, "");
  const [keyPart, dataPart] = main.split(" : ");
  const count = (p: string | undefined) => (p ? p.split(" . ").length : 0);
  if (kind === "map" && !dataPart) throw new NftError(`map declaration without data: ${body}`);
  return { kind, body, keyFields: count(keyPart), dataFields: count(dataPart), elements: new Map() };
}

function splitItems(inner: string): string[] {
  return inner
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export class FakeProxyTable implements ProxyTable {
  private state: FakeState = { tables: new Map() };
  /** Every script applied successfully, in order (tests inspect what a sync sent). */
  readonly applied: string[] = [];
  /** Every successful replaceElements, in order. */
  readonly replaced: Array<Map<string, Array<{ key: string; value?: string }>>> = [];
  /** Make the next apply or replaceElements fail (tests of the retry path). */
  failNext?: string;

  async apply(script: string): Promise<void> {
    if (this.failNext) {
      const msg = this.failNext;
      this.failNext = undefined;
      throw new NftError(msg);
    }
    const next = clone(this.state);
    script.split("\n").forEach((line, i) => {
      if (line.trim() === "") return;
      try {
        this.exec(next, line.trim());
      } catch (e) {
        throw new NftError(`line ${i + 1}: ${(e as Error).message}: ${line.slice(0, 200)}`);
      }
    });
    this.state = next;
    this.applied.push(script);
  }

  /** Like the kernel's nfnetlink batch: every named set emptied and refilled, or nothing. */
  async replaceElements(
    sets: Map<string, Array<{ key: string; value?: string }>>,
    after?: Promise<unknown>,
  ): Promise<void> {
    await after;
    const table = this.tableName();
    const lines: string[] = [];
    for (const [name, items] of sets) {
      const kind = this.state.tables.get(table)?.sets.get(name)?.kind ?? "set";
      lines.push(`flush ${kind} ip ${table} ${name}`);
      for (const e of items) {
        lines.push(
          `add element ip ${table} ${name} { ${e.value === undefined ? e.key : `${e.key} : ${e.value}`} }`,
        );
      }
    }
    if (this.failNext) {
      const msg = this.failNext;
      this.failNext = undefined;
      throw new NftError(msg);
    }
    const next = clone(this.state);
    for (const line of lines) {
      try {
        this.exec(next, line);
      } catch (e) {
        throw new NftError(`replacing elements: ${(e as Error).message}: ${line.slice(0, 200)}`);
      }
    }
    this.state = next;
    this.replaced.push(sets);
  }

  async objects(): Promise<ExistingObjects | undefined> {
    const t = this.state.tables.get(this.tableName());
    return t ? { chains: [...t.chains.keys()], sets: [...t.sets.keys()] } : undefined;
  }

  async listElements(map: string): Promise<MapElement[]> {
    const set = this.state.tables.get(this.tableName())?.sets.get(map);
    return [...(set?.elements ?? [])].map(([k, v]) => ({
      key: k.split(" . "),
      value: v ? v.split(" . ") : [],
    }));
  }

  /** Elements of a set as key -> value ("" for plain sets). */
  elements(set: string, table = this.tableName()): Map<string, string> {
    return new Map(this.state.tables.get(table)?.sets.get(set)?.elements ?? []);
  }

  chains(table = this.tableName()): Map<string, FakeChain> {
    return this.state.tables.get(table)?.chains ?? new Map();
  }

  /** An element the packet path would add (e.g. an affinity entry). */
  addDynamic(set: string, key: string, value: string): void {
    const s = this.state.tables.get(this.tableName())?.sets.get(set);
    if (!s) throw new NftError(`no set ${set}`);
    s.elements.set(key, value);
  }

  /** Everything, canonically ordered, for comparing two tables. */
  dump(): string {
    const out: string[] = [];
    for (const [tn, t] of [...this.state.tables].sort()) {
      out.push(`table ${tn}`);
      for (const [n, c] of [...t.chains].sort())
        out.push(`chain ${n} ${c.hook ?? ""}`, ...c.rules.map((r) => `  ${r}`));
      for (const [n, s] of [...t.sets].sort()) {
        out.push(`${s.kind} ${n} { ${s.body} }`);
        for (const [k, v] of [...s.elements].sort()) out.push(`  ${k}${v ? ` : ${v}` : ""}`);
      }
    }
    return out.join("\n");
  }

  private tableName(): string {
    return [...this.state.tables.keys()][0] ?? "";
  }

  private exec(s: FakeState, line: string): void {
    let m = /^(add|delete|flush) table ip (\S+)$/.exec(line);
    if (m) {
      const [, verb, name] = m as unknown as [string, string, string];
      if (verb === "add") {
        if (!s.tables.has(name)) s.tables.set(name, { chains: new Map(), sets: new Map() });
      } else if (verb === "delete") {
        if (!s.tables.delete(name)) throw new NftError("No such file or directory");
      } else for (const c of this.table(s, name).chains.values()) c.rules = [];
      return;
    }
    m = /^(add|delete|flush) chain ip (\S+) (\S+)(?: \{ (.*) \})?$/.exec(line);
    if (m) {
      this.chainCmd(s, m[1]!, m[2]!, m[3]!, m[4]);
      return;
    }
    m = /^add rule ip (\S+) (\S+) (.+)$/.exec(line);
    if (m) {
      const t = this.table(s, m[1]!);
      const chain = t.chains.get(m[2]!);
      if (!chain) throw new NftError("No such file or directory (chain)");
      for (const ref of chainRefs(m[3]!))
        if (!t.chains.has(ref)) throw new NftError(`No such file or directory (chain ${ref})`);
      for (const ref of setRefs(m[3]!))
        if (!t.sets.has(ref)) throw new NftError(`No such file or directory (set ${ref})`);
      chain.rules.push(m[3]!);
      return;
    }
    m = /^(add|delete|flush) (set|map) ip (\S+) (\S+)(?: \{ (.*) \})?$/.exec(line);
    if (m) {
      this.setCmd(s, m[1]!, m[2] as "set" | "map", m[3]!, m[4]!, m[5]);
      return;
    }
    m = /^(add|delete) element ip (\S+) (\S+) \{ (.*) \}$/.exec(line);
    if (m) {
      this.elementCmd(s, m[1]!, m[2]!, m[3]!, m[4]!);
      return;
    }
    throw new NftError("syntax error (the fake does not know this command)");
  }

  private table(s: FakeState, name: string) {
    const t = s.tables.get(name);
    if (!t) throw new NftError(`No such file or directory (table ${name})`);
    return t;
  }

  private chainCmd(s: FakeState, verb: string, table: string, name: string, hook: string | undefined): void {
    const t = this.table(s, table);
    const c = t.chains.get(name);
    if (verb === "add") {
      if (c && (c.hook ?? "") !== (hook ?? "")) throw new NftError("File exists (chain with another hook)");
      if (!c) t.chains.set(name, hook ? { hook, rules: [] } : { rules: [] });
    } else if (!c) throw new NftError("No such file or directory");
    else if (verb === "flush") c.rules = [];
    else {
      for (const [other, oc] of t.chains) {
        if (other !== name && oc.rules.some((r) => chainRefs(r).includes(name)))
          throw new NftError("Device or resource busy");
      }
      for (const set of t.sets.values()) {
        for (const v of set.elements.values())
          if (chainRefs(v).includes(name)) throw new NftError("Device or resource busy");
      }
      t.chains.delete(name);
    }
  }

  private setCmd(
    s: FakeState,
    verb: string,
    kind: "set" | "map",
    table: string,
    name: string,
    body?: string,
  ): void {
    const t = this.table(s, table);
    const set = t.sets.get(name);
    if (verb === "add") {
      const decl = declaration(kind, (body ?? "").replace(/;\s*$/, ""));
      if (set && set.body !== decl.body) throw new NftError("File exists (set with another declaration)");
      if (!set) t.sets.set(name, decl);
      return;
    }
    if (!set) throw new NftError("No such file or directory");
    if (verb === "flush") set.elements.clear();
    else {
      for (const c of t.chains.values())
        if (c.rules.some((r) => setRefs(r).includes(name))) throw new NftError("Device or resource busy");
      t.sets.delete(name);
    }
  }

  private elementCmd(s: FakeState, verb: string, table: string, name: string, inner: string): void {
    const t = this.table(s, table);
    const set = t.sets.get(name);
    if (!set) throw new NftError(`No such file or directory (set ${name})`);
    for (const item of splitItems(inner)) {
      const [key, value] = item.split(" : ").map((x) => x.trim()) as [string, string | undefined];
      if (key.split(" . ").length !== set.keyFields)
        throw new NftError(`key ${key} does not fit ${set.body}`);
      if (verb === "delete") {
        if (!set.elements.delete(key)) throw new NftError(`No such file or directory (element ${key})`);
        continue;
      }
      if (set.kind === "map" && value === undefined) throw new NftError(`map element ${key} without data`);
      if (set.kind === "set" && value !== undefined) throw new NftError(`set element ${key} with data`);
      if (
        value !== undefined &&
        !/^(goto|jump|drop|accept)/.test(value) &&
        value.split(" . ").length !== set.dataFields
      ) {
        throw new NftError(`data ${value} does not fit ${set.body}`);
      }
      for (const ref of chainRefs(value ?? ""))
        if (!t.chains.has(ref)) throw new NftError(`No such file or directory (chain ${ref})`);
      const had = set.elements.get(key);
      if (had !== undefined && had !== (value ?? "")) throw new NftError(`File exists (element ${key})`);
      set.elements.set(key, value ?? "");
    }
  }
}
