/**
 * The one label-selector implementation in flatnet. Kubernetes has two selector flavours and
 * they treat "empty" differently, which matters for who a policy or Service applies to:
 * - metav1.LabelSelector (Deployments, NetworkPolicy podSelector/namespaceSelector): a missing
 *   (null) selector selects nothing, `{}` selects everything; requirements are ANDed.
 * - map selectors (Service spec.selector): an empty or missing map selects nothing (a Service
 *   without a selector gets its endpoints some other way).
 * `parseSelectorString` reads the string form of `kubectl -l` into a LabelSelector.
 */
import type { V1LabelSelector, V1LabelSelectorRequirement } from "@kubernetes/client-node";
import { UserError } from "../util/errors.js";
import { labelValue, qualifiedName } from "./validate/names.js";

export type Labels = Readonly<Record<string, string>> | undefined | null;

function hasLabel(labels: Labels, key: string): boolean {
  return labels != null && Object.hasOwn(labels, key);
}

function requirementMatches(req: V1LabelSelectorRequirement, labels: Labels): boolean {
  const present = hasLabel(labels, req.key);
  const value = present ? labels![req.key] : undefined;
  switch (req.operator) {
    case "In":
      return present && (req.values ?? []).includes(value!);
    case "NotIn":
      return !present || !(req.values ?? []).includes(value!);
    case "Exists":
      return present;
    case "DoesNotExist":
      return !present;
    default:
      // Validation rejects unknown operators; an unvalidated one must never select anything.
      return false;
  }
}

/** metav1.LabelSelector semantics: null/undefined selects nothing, `{}` selects everything. */
export function selectorMatches(selector: V1LabelSelector | undefined | null, labels: Labels): boolean {
  if (selector == null) return false;
  for (const [key, want] of Object.entries(selector.matchLabels ?? {})) {
    if (!hasLabel(labels, key) || labels![key] !== want) return false;
  }
  return (selector.matchExpressions ?? []).every((req) => requirementMatches(req, labels));
}

/** Service-style map selector: empty or missing selects nothing, otherwise every pair must match. */
export function mapSelectorMatches(selector: Labels, labels: Labels): boolean {
  if (selector == null) return false;
  const entries = Object.entries(selector);
  if (entries.length === 0) return false;
  return entries.every(([key, want]) => hasLabel(labels, key) && labels![key] === want);
}

/** Whether a LabelSelector selects everything (`{}`), which callers may want to special-case. */
export function selectsEverything(selector: V1LabelSelector | undefined | null): boolean {
  return (
    selector != null &&
    Object.keys(selector.matchLabels ?? {}).length === 0 &&
    (selector.matchExpressions ?? []).length === 0
  );
}

// ---------------------------------------------------------------------------------------------
// The string form: "app=web,tier in (a,b),!legacy,env!=prod,release"

type Token = { kind: "word" | "op" | "(" | ")" | ","; text: string; pos: number };

function tokenize(text: string, fail: (pos: number, why: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === " " || ch === "\t") {
      i++;
    } else if (ch === "(" || ch === ")" || ch === ",") {
      tokens.push({ kind: ch, text: ch, pos: i });
      i++;
    } else if (text.startsWith("==", i) || text.startsWith("!=", i)) {
      tokens.push({ kind: "op", text: text.slice(i, i + 2), pos: i });
      i += 2;
    } else if (ch === "=" || ch === "!") {
      tokens.push({ kind: "op", text: ch, pos: i });
      i++;
    } else {
      const start = i;
      while (i < text.length && !" \t(),=!".includes(text[i]!)) i++;
      if (i === start) fail(i, `unexpected character '${ch}'`);
      tokens.push({ kind: "word", text: text.slice(start, i), pos: start });
    }
  }
  return tokens;
}

/**
 * Parse `kubectl -l` syntax into a LabelSelector (every requirement becomes a matchExpression):
 * `k=v`/`k==v` (In), `k!=v` (NotIn), `k in (a,b)`, `k notin (a,b)`, `k` (Exists), `!k`
 * (DoesNotExist), comma-separated and ANDed. The empty string gives `{}` (select everything).
 */
export function parseSelectorString(text: string): V1LabelSelector {
  const fail = (pos: number, why: string): never => {
    throw new UserError(
      `invalid label selector "${text}" at character ${pos + 1}: ${why}`,
      "write it like 'app=web,tier in (a,b),!legacy,env!=prod'",
    );
  };
  const tokens = tokenize(text, fail);
  const exprs: V1LabelSelectorRequirement[] = [];
  let t = 0;
  const peek = () => tokens[t];
  const end = text.length;
  const word = (what: string): Token => {
    const tok = tokens[t];
    if (tok?.kind !== "word") return fail(tok?.pos ?? end, `expected ${what}`);
    t++;
    return tok;
  };
  const key = (tok: Token) => {
    const problems = qualifiedName(tok.text);
    if (problems.length) fail(tok.pos, `key "${tok.text}": ${problems.join("; ")}`);
    return tok.text;
  };
  const value = (tok: Token | undefined, pos: number) => {
    const v = tok?.text ?? "";
    const problems = labelValue(v);
    if (problems.length) fail(tok?.pos ?? pos, `value "${v}": ${problems.join("; ")}`);
    return v;
  };
  while (t < tokens.length) {
    const first = peek()!;
    if (first.kind === "op" && first.text === "!") {
      t++;
      exprs.push({ key: key(word("a label key after '!'")), operator: "DoesNotExist" });
    } else {
      const k = key(word("a label key"));
      const next = peek();
      if (!next || next.kind === ",") {
        exprs.push({ key: k, operator: "Exists" });
      } else if (next.kind === "op" && next.text !== "!") {
        t++;
        const tok = peek()?.kind === "word" ? tokens[t++] : undefined;
        const v = value(tok, next.pos + next.text.length);
        exprs.push({ key: k, operator: next.text === "!=" ? "NotIn" : "In", values: [v] });
      } else if (next.kind === "word" && (next.text === "in" || next.text === "notin")) {
        t++;
        if (peek()?.kind !== "(") fail(peek()?.pos ?? end, `expected '(' after '${next.text}'`);
        t++;
        const values: string[] = [];
        for (;;) {
          const tok = peek()?.kind === "word" ? tokens[t++] : undefined;
          values.push(value(tok, peek()?.pos ?? end));
          const sep = peek();
          if (sep?.kind === ")") break;
          if (sep?.kind !== ",") fail(sep?.pos ?? end, "expected ',' or ')' in the value set");
          t++;
        }
        t++;
        exprs.push({ key: k, operator: next.text === "in" ? "In" : "NotIn", values });
      } else {
        fail(next.pos, `expected '=', '==', '!=', 'in', 'notin' or ',' after key "${k}"`);
      }
    }
    const sep = peek();
    if (sep) {
      if (sep.kind !== ",") fail(sep.pos, "expected ',' between requirements");
      t++;
      if (!peek()) fail(end, "expected a requirement after ','");
    }
  }
  return exprs.length ? { matchExpressions: exprs } : {};
}
