/**
 * A fake PolicyTable: interprets the scripts the enforcer sends with the kernel's semantics
 * (checked against nft 1.0.6 on Linux 6.18), and can run a packet through the chains:
 *  - a script is one transaction: any error leaves the table as it was;
 *  - adding an existing set or chain with the same declaration is a no-op; adding an element
 *    that exists with other data is "File exists"; deleting a missing one "No such file";
 *    deleting a missing table is an error; rules may only name existing sets and chains;
 *  - element keys must have as many fields as the declaration; a single-field interval map
 *    refuses overlapping ranges;
 *  - judge() evaluates a new connection's first packet at a hook like the kernel: rules in
 *    order, concatenated lookups with ranges, `ct mark set ... map`, jump/return/accept/drop,
 *    the base chain's policy at the end, and reports the rules that decided (like
 *    `nft monitor trace`), so unit tests check the ruleset's meaning without a kernel.
 */
import type { PolicyTable } from "./table.js";

interface FakeSet {
  kind: "set" | "map";
  body: string;
  fields: number;
  interval: boolean;
  elements: Map<string, string>;
}

interface FakeChain {
  hook?: string;
  rules: string[];
}

interface FakeTable {
  chains: Map<string, FakeChain>;
  sets: Map<string, FakeSet>;
}

export class NftError extends Error {}

export interface Packet {
  saddr: string;
  daddr: string;
  protocol: "tcp" | "udp" | "sctp" | "icmp";
  dport: number;
  /** Conntrack state; default "new". */
  ct?: "new" | "established" | "related";
}

export interface TraceStep {
  chain: string;
  rule: string;
  verdict: string;
}

export interface Judgement {
  verdict: "accept" | "drop";
  /** Rules whose verdict (or jump) took effect, in order; the base chain's policy as "policy". */
  steps: TraceStep[];
}

const PROTO_NUMBERS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, sctp: 132 };

function v4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4) throw new NftError(`not an IPv4 address: ${text}`);
  return parts.reduce((acc, o) => acc * 256 + Number(o), 0);
}

/** A field value as a number: addresses, protocols by name, marks and ports. */
function num(text: string): number {
  if (text.includes(".")) return v4(text);
  if (text in PROTO_NUMBERS) return PROTO_NUMBERS[text]!;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new NftError(`cannot read value ${text}`);
  return n;
}

function fieldRange(text: string): [number, number] {
  const m = /^(.+?)-(.+)$/.exec(text);
  return m ? [num(m[1]!), num(m[2]!)] : [num(text), num(text)];
}

function splitItems(inner: string): string[] {
  return inner
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

function clone(t: Map<string, FakeTable>): Map<string, FakeTable> {
  const out = new Map<string, FakeTable>();
  for (const [n, tb] of t) {
    out.set(n, {
      chains: new Map([...tb.chains].map(([k, c]) => [k, { hook: c.hook, rules: [...c.rules] }])),
      sets: new Map([...tb.sets].map(([k, s]) => [k, { ...s, elements: new Map(s.elements) }])),
    });
  }
  return out;
}

export class FakePolicyTable implements PolicyTable {
  private tables = new Map<string, FakeTable>();
  /** Every script applied successfully, in order. */
  readonly applied: string[] = [];
  /** Make the next apply fail (tests of the retry path). */
  failNext?: string;

  constructor(readonly table = "inet flatnet-policy") {}

  async apply(script: string): Promise<void> {
    if (this.failNext) {
      const msg = this.failNext;
      this.failNext = undefined;
      throw new NftError(msg);
    }
    const next = clone(this.tables);
    script.split("\n").forEach((line, i) => {
      if (line.trim() === "") return;
      try {
        this.exec(next, line.trim());
      } catch (e) {
        throw new NftError(`line ${i + 1}: ${(e as Error).message}: ${line.slice(0, 200)}`);
      }
    });
    this.tables = next;
    this.applied.push(script);
  }

  async elements(set: string): Promise<Map<string, string>> {
    return new Map(this.tables.get(this.table)?.sets.get(set)?.elements ?? []);
  }

  /** Every element of every set, canonically ordered (compare two tables). */
  dump(): string {
    const t = this.tables.get(this.table);
    if (!t) return "";
    const out: string[] = [];
    for (const [n, c] of [...t.chains].sort())
      out.push(`chain ${n} ${c.hook ?? ""}`, ...c.rules.map((r) => `  ${r}`));
    for (const [n, s] of [...t.sets].sort()) {
      out.push(`${s.kind} ${n} { ${s.body} }`);
      for (const [k, v] of [...s.elements].sort()) out.push(`  ${k}${v ? ` : ${v}` : ""}`);
    }
    return out.join("\n");
  }

  /** Run a packet through the base chain hooked at `hook` ("forward" or "input"). */
  judge(hook: "forward" | "input", p: Packet): Judgement {
    const t = this.tables.get(this.table);
    const steps: TraceStep[] = [];
    if (!t) return { verdict: "accept", steps };
    const base = [...t.chains].find(([, c]) => c.hook?.includes(`hook ${hook} `));
    if (!base) return { verdict: "accept", steps };
    const state = { mark: 0 };
    const result = this.runChain(t, base[0], p, state, steps);
    if (result === "accept" || result === "drop") return { verdict: result, steps };
    steps.push({ chain: base[0], rule: "policy", verdict: "accept" });
    return { verdict: "accept", steps };
  }

  private runChain(
    t: FakeTable,
    name: string,
    p: Packet,
    state: { mark: number },
    steps: TraceStep[],
  ): "accept" | "drop" | "return" {
    for (const rule of t.chains.get(name)!.rules) {
      const r = this.evalRule(t, rule, p, state);
      if (r === undefined) continue;
      steps.push({ chain: name, rule, verdict: r });
      const jump = /^jump (\S+)$/.exec(r);
      if (jump) {
        const inner = this.runChain(t, jump[1]!, p, state, steps);
        if (inner !== "return") return inner;
        continue;
      }
      return r as "accept" | "drop" | "return";
    }
    return "return";
  }

  private field(expr: string, p: Packet, state: { mark: number }): number {
    switch (expr) {
      case "ip saddr":
        return v4(p.saddr);
      case "ip daddr":
        return v4(p.daddr);
      case "ct mark":
        return state.mark;
      case "meta l4proto":
        return PROTO_NUMBERS[p.protocol]!;
      case "th dport":
        return p.dport;
    }
    throw new NftError(`the fake cannot evaluate ${expr}`);
  }

  private lookup(set: FakeSet, key: number[]): string | undefined {
    for (const [k, v] of set.elements) {
      const parts = k.split(" . ");
      if (
        parts.every((f, i) => {
          const [lo, hi] = fieldRange(f);
          return key[i]! >= lo && key[i]! <= hi;
        })
      )
        return v;
    }
    return undefined;
  }

  /** The rule's verdict when it matches, undefined when it does not (or only sets state). */
  private evalRule(t: FakeTable, rule: string, p: Packet, state: { mark: number }): string | undefined {
    let m = /^ct state (\S+) (accept|drop)$/.exec(rule);
    if (m) return m[1]!.split(",").includes(p.ct ?? "new") ? m[2] : undefined;
    m = /^ct mark set (.+) map @(\S+)$/.exec(rule);
    if (m) {
      const hit = this.lookup(
        t.sets.get(m[2]!)!,
        m[1]!.split(" . ").map((e) => this.field(e, p, state)),
      );
      if (hit !== undefined) state.mark = num(hit);
      return undefined;
    }
    m = /^(.+) @(\S+) (accept|drop|return|jump \S+)$/.exec(rule);
    if (m) {
      const key = m[1]!.split(" . ").map((e) => this.field(e, p, state));
      return this.lookup(t.sets.get(m[2]!)!, key) !== undefined ? m[3] : undefined;
    }
    if (rule === "accept" || rule === "drop" || rule === "return") return rule;
    throw new NftError(`the fake cannot evaluate rule: ${rule}`);
  }

  private exec(s: Map<string, FakeTable>, line: string): void {
    const fam = this.table.split(" ")[0];
    let m = new RegExp(`^(add|delete) table ${fam} (\\S+)$`).exec(line);
    if (m) {
      const name = `${fam} ${m[2]}`;
      if (m[1] === "add") {
        if (!s.has(name)) s.set(name, { chains: new Map(), sets: new Map() });
      } else if (!s.delete(name)) throw new NftError("No such file or directory");
      return;
    }
    m = new RegExp(`^add chain ${fam} (\\S+) (\\S+)(?: \\{ (.*) \\})?$`).exec(line);
    if (m) {
      const t = this.get(s, m[1]!);
      const c = t.chains.get(m[2]!);
      if (c && (c.hook ?? "") !== (m[3] ?? "")) throw new NftError("File exists (chain with another hook)");
      if (!c) t.chains.set(m[2]!, m[3] ? { hook: m[3], rules: [] } : { rules: [] });
      return;
    }
    m = new RegExp(`^add rule ${fam} (\\S+) (\\S+) (.+)$`).exec(line);
    if (m) {
      const t = this.get(s, m[1]!);
      const chain = t.chains.get(m[2]!);
      if (!chain) throw new NftError("No such file or directory (chain)");
      for (const ref of m[3]!.matchAll(/\b(?:jump|goto) ([\w.-]+)/g))
        if (!t.chains.has(ref[1]!)) throw new NftError(`No such file or directory (chain ${ref[1]})`);
      for (const ref of m[3]!.matchAll(/@([\w.-]+)/g))
        if (!t.sets.has(ref[1]!)) throw new NftError(`No such file or directory (set ${ref[1]})`);
      chain.rules.push(m[3]!);
      return;
    }
    m = new RegExp(`^add (set|map) ${fam} (\\S+) (\\S+) \\{ (.*) \\}$`).exec(line);
    if (m) {
      const t = this.get(s, m[2]!);
      const body = m[4]!.replace(/;\s*$/, "");
      const had = t.sets.get(m[3]!);
      if (had && had.body !== body) throw new NftError("File exists (set with another declaration)");
      if (!had) {
        const keyPart = body
          .replace(/^type /, "")
          .split(";")[0]!
          .split(" : ")[0]!;
        t.sets.set(m[3]!, {
          kind: m[1] as "set" | "map",
          body,
          fields: keyPart.split(" . ").length,
          interval: /flags interval/.test(body),
          elements: new Map(),
        });
      }
      return;
    }
    m = new RegExp(`^(add|delete) element ${fam} (\\S+) (\\S+) \\{ (.*) \\}$`).exec(line);
    if (m) {
      const set = this.get(s, m[2]!).sets.get(m[3]!);
      if (!set) throw new NftError(`No such file or directory (set ${m[3]})`);
      for (const item of splitItems(m[4]!)) this.element(set, m[1] as "add" | "delete", item);
      return;
    }
    throw new NftError("syntax error (the fake does not know this command)");
  }

  private element(set: FakeSet, verb: "add" | "delete", item: string): void {
    const [key, value] = item.split(" : ").map((x) => x.trim()) as [string, string | undefined];
    const fields = key.split(" . ");
    if (fields.length !== set.fields) throw new NftError(`key ${key} does not fit ${set.body}`);
    for (const f of fields) {
      const [lo, hi] = fieldRange(f);
      if (lo > hi || (!set.interval && lo !== hi)) throw new NftError(`bad value ${f} for ${set.body}`);
    }
    if (verb === "delete") {
      if (!set.elements.delete(key)) throw new NftError(`No such file or directory (element ${key})`);
      return;
    }
    if (set.kind === "map" && value === undefined) throw new NftError(`map element ${key} without data`);
    if (set.kind === "set" && value !== undefined) throw new NftError(`set element ${key} with data`);
    const had = set.elements.get(key);
    if (had !== undefined && had !== (value ?? "")) throw new NftError(`File exists (element ${key})`);
    if (had === undefined && set.interval && set.fields === 1) {
      const [lo, hi] = fieldRange(key);
      for (const other of set.elements.keys()) {
        const [olo, ohi] = fieldRange(other);
        if (lo <= ohi && olo <= hi) throw new NftError(`conflicting intervals ${key} and ${other}`);
      }
    }
    set.elements.set(key, value ?? "");
  }

  private get(s: Map<string, FakeTable>, name: string): FakeTable {
    const t = s.get(`${this.table.split(" ")[0]} ${name}`);
    if (!t) throw new NftError(`No such file or directory (table ${name})`);
    return t;
  }
}
