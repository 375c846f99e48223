/**
 * The NetworkPolicy conformance cases under test/fixtures/policy: the e2e topology
 * (topology.yaml) plus one case per cases/<name>.yaml with its expected reachability in
 * cases/<name>.expect, so the same cases can run against the analyzer and the live lab.
 *
 * .expect format, one statement per line (# comments):
 *   on TCP/80 UDP/81 ...   start the expectations of these port/protocols: everything allowed
 *   deny FROM TO           set the pairs FROM -> TO to blocked
 *   allow FROM TO          set them to reachable
 *   loopback               every pod reaches itself (policy never applies to it)
 * FROM/TO: `*`, `ns/*`, `*\/pod` or `ns/pod`; statements apply in order.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./cli.js";

export const POLICY_FIXTURES = join(repoRoot(), "test", "fixtures", "policy");
export const TOPOLOGY = join(POLICY_FIXTURES, "topology.yaml");
export const E2E_KEYS = ["x", "y", "z"].flatMap((ns) => ["a", "b", "c"].map((p) => `${ns}/${p}`));

export type Table = Record<string, Record<string, boolean>>;

export interface Expectation {
  port: number;
  protocol: "TCP" | "UDP";
  allowed: Table;
}

export interface PolicyCase {
  name: string;
  manifest: string;
  expectations: Expectation[];
}

function matches(pattern: string, key: string): boolean {
  if (pattern === "*") return true;
  const [pns, ppod] = pattern.split("/");
  const [ns, pod] = key.split("/");
  return (pns === "*" || pns === ns) && (ppod === "*" || ppod === pod);
}

export function parseExpectations(text: string, keys: readonly string[], where: string): Expectation[] {
  const out: Expectation[] = [];
  let current: Expectation[] = [];
  text.split("\n").forEach((raw, n) => {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) return;
    const [verb, ...args] = line.split(/\s+/);
    const fail = (why: string) => {
      throw new Error(`${where}:${n + 1}: ${why}: ${raw}`);
    };
    if (verb === "on") {
      current = args.map((pp) => {
        const m = /^(TCP|UDP)\/(\d+)$/.exec(pp);
        if (!m) fail("expected PROTO/PORT");
        const allowed: Table = {};
        for (const f of keys) allowed[f] = Object.fromEntries(keys.map((t) => [t, true]));
        return { protocol: m![1] as "TCP" | "UDP", port: Number(m![2]), allowed };
      });
      out.push(...current);
    } else if (verb === "allow" || verb === "deny") {
      if (args.length !== 2) fail("expected FROM TO");
      if (current.length === 0) fail("no `on` section yet");
      for (const e of current)
        for (const f of keys)
          for (const t of keys)
            if (matches(args[0]!, f) && matches(args[1]!, t)) e.allowed[f]![t] = verb === "allow";
    } else if (verb === "loopback") {
      for (const e of current) for (const k of keys) e.allowed[k]![k] = true;
    } else fail("unknown statement");
  });
  return out;
}

export function policyCases(): PolicyCase[] {
  const dir = join(POLICY_FIXTURES, "cases");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => {
      const name = f.slice(0, -".yaml".length);
      const expectFile = join(dir, `${name}.expect`);
      return {
        name,
        manifest: join(dir, f),
        expectations: parseExpectations(readFileSync(expectFile, "utf8"), E2E_KEYS, expectFile),
      };
    });
}

/** Lines "TCP/80 x/a -> y/b: expected X, got Y" for every differing pair (empty when equal). */
export function tableDifferences(e: Expectation, got: Table | undefined): string[] {
  if (!got) return [`${e.protocol}/${e.port}: no matrix`];
  const out: string[] = [];
  for (const f of Object.keys(e.allowed)) {
    for (const t of Object.keys(e.allowed[f]!)) {
      const want = e.allowed[f]![t];
      const have = got[f]?.[t];
      if (want !== have) out.push(`${e.protocol}/${e.port} ${f} -> ${t}: expected ${want}, got ${have}`);
    }
  }
  if (Object.keys(got).length !== Object.keys(e.allowed).length)
    out.push(`pods: ${Object.keys(got).join(", ")}`);
  return out;
}
