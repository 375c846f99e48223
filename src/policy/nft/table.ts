/**
 * The enforcer's handle on its nftables table, and the real implementation: `nft` run inside
 * the node's network namespace (never the root one). Every change is one `nft -f -`
 * transaction, all or nothing. Reads return elements in the text form elements.ts writes
 * (ranges "a-b", prefixes turned into ranges, marks as decimals), so a test can compare the
 * kernel's table with the desired one. fake.ts implements the same interface in memory.
 */
import { CommandError, run } from "../../kernel/exec.js";
import { formatV4 } from "./identities.js";
import { DECLARATIONS, POLICY_FAMILY, POLICY_TABLE } from "./ruleset.js";

export interface PolicyTable {
  /** Apply one transaction; throws (with nft's message) when the kernel refuses any of it. */
  apply(script: string): Promise<void>;
  /** The elements of one set or map as key -> value ("" for sets); empty when missing. */
  elements(set: string): Promise<Map<string, string>>;
}

type Json = Record<string, unknown>;

function v4(text: string): number {
  return text.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

function fieldText(v: unknown): string {
  if (typeof v === "string" || typeof v === "number") return String(v);
  if (v && typeof v === "object") {
    const o = v as Json;
    if (Array.isArray(o.range)) return `${fieldText(o.range[0])}-${fieldText(o.range[1])}`;
    if (o.prefix && typeof o.prefix === "object") {
      const p = o.prefix as { addr: string; len: number };
      const lo = v4(p.addr);
      return `${p.addr}-${formatV4(lo + 2 ** (32 - p.len) - 1)}`;
    }
    if (o.elem && typeof o.elem === "object") return fieldText((o.elem as Json).val);
    if (Array.isArray(o.concat)) return o.concat.map(fieldText).join(" . ");
  }
  return JSON.stringify(v);
}

/** Parse `nft -j list set|map` output into key -> value. */
export function parseElements(json: string): Map<string, string> {
  const doc = JSON.parse(json) as { nftables: Json[] };
  const out = new Map<string, string>();
  for (const item of doc.nftables) {
    const s = (item.set ?? item.map) as { elem?: unknown[] } | undefined;
    for (const e of s?.elem ?? []) {
      if (Array.isArray(e)) out.set(fieldText(e[0]), fieldText(e[1]));
      else out.set(fieldText(e), "");
    }
  }
  return out;
}

export class NftPolicyTable implements PolicyTable {
  constructor(
    private readonly netns: string,
    private readonly table = POLICY_TABLE,
  ) {
    if (!netns)
      throw new Error("NftPolicyTable needs a network namespace: the enforcer never programs the root one");
  }

  async apply(script: string): Promise<void> {
    if (script === "") return;
    await run(["nft", "-f", "-"], { netns: this.netns, input: script, timeoutMs: 300_000 });
  }

  async elements(set: string): Promise<Map<string, string>> {
    const kind = DECLARATIONS.get(set)?.kind ?? "set";
    try {
      return parseElements(
        await run(["nft", "-j", "list", kind, POLICY_FAMILY, this.table, set], { netns: this.netns }),
      );
    } catch (e) {
      if (e instanceof CommandError && /No such file or directory/.test(e.stderr)) return new Map();
      throw e;
    }
  }
}
