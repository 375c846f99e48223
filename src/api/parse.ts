/**
 * From YAML text to raw objects of known kinds: multi-document YAML (JSON is YAML too), empty
 * documents skipped but counted (so `#2` is the third document as written), `kind: List`
 * expanded into its items, and every document checked for a kind flatnet accepts at the
 * apiVersion that serves it. Nothing is defaulted or validated here (see admit.ts).
 */
import { parseAllDocuments } from "yaml";
import { ManifestError, type ObjectSource } from "./errors.js";
import { describeAcceptedKinds, isKnownKind, KIND_INFO, type Kind } from "./kinds.js";
import { isRecord, type Json } from "./validate/field.js";

export interface RawObject {
  kind: Kind;
  obj: Json;
  source: ObjectSource;
}

export interface ParsedText {
  objects: RawObject[];
  errors: ManifestError[];
}

export function parseDocuments(text: string, file: string): ParsedText {
  const out: ParsedText = { objects: [], errors: [] };
  const docs = parseAllDocuments(text, { merge: true, uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, docIndex) => {
    const source: ObjectSource = { file, docIndex };
    const syntax = doc.errors[0];
    if (syntax) {
      // The first error only: later ones in the same document are usually its consequences.
      const detail = oneLine(syntax.message);
      out.errors.push(new ManifestError(source, "", { type: "Syntax error", field: "", detail }));
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;
    if (!isRecord(value)) {
      out.errors.push(
        new ManifestError(source, "", {
          type: "Syntax error",
          field: "",
          detail: "a document must be a mapping with apiVersion and kind",
        }),
      );
      return;
    }
    if (value.kind === "List") expandList(value, source, out);
    else checkKind(value, source, out);
  });
  return out;
}

function expandList(list: Json, source: ObjectSource, out: ParsedText): void {
  if (list.apiVersion !== "v1") {
    out.errors.push(
      new ManifestError(source, "List", {
        type: "Invalid value",
        field: "apiVersion",
        value: list.apiVersion ?? null,
        detail: "kind List is served at apiVersion v1",
      }),
    );
    return;
  }
  const items = list.items ?? [];
  if (!Array.isArray(items)) {
    out.errors.push(
      new ManifestError(source, "List", {
        type: "Invalid value",
        field: "items",
        value: items,
        detail: "must be a list",
      }),
    );
    return;
  }
  items.forEach((item, itemIndex) => {
    const itemSource: ObjectSource = { ...source, itemIndex };
    if (!isRecord(item)) {
      out.errors.push(
        new ManifestError(itemSource, "", {
          type: "Syntax error",
          field: "",
          detail: "a List item must be an object",
        }),
      );
    } else if (item.kind === "List") {
      out.errors.push(
        new ManifestError(itemSource, "", {
          type: "Invalid value",
          field: "kind",
          value: "List",
          detail: "Lists do not nest",
        }),
      );
    } else {
      checkKind(item, itemSource, out);
    }
  });
}

function checkKind(obj: Json, source: ObjectSource, out: ParsedText): void {
  const { kind, apiVersion } = obj;
  const fail = (field: string, value: unknown, detail: string, type: "Required value" | "Invalid value") =>
    out.errors.push(
      new ManifestError(source, typeof kind === "string" ? kind : "", {
        type,
        field,
        ...(type === "Invalid value" ? { value } : {}),
        detail,
      }),
    );
  if (kind === undefined || kind === null || kind === "") {
    fail(
      "kind",
      undefined,
      `every object needs a kind; flatnet accepts ${describeAcceptedKinds()}`,
      "Required value",
    );
    return;
  }
  if (!isKnownKind(kind)) {
    fail(
      "kind",
      kind,
      `flatnet does not accept kind ${String(kind)} (apiVersion ${String(apiVersion)}); accepted: ${describeAcceptedKinds()}`,
      "Invalid value",
    );
    return;
  }
  const want = KIND_INFO[kind].apiVersion;
  if (apiVersion === undefined || apiVersion === null || apiVersion === "") {
    fail("apiVersion", undefined, `kind ${kind} needs apiVersion: ${want}`, "Required value");
    return;
  }
  if (apiVersion !== want) {
    fail("apiVersion", apiVersion, `kind ${kind} is served at apiVersion ${want}`, "Invalid value");
    return;
  }
  out.objects.push({ kind, obj, source });
}

/** The yaml package's messages span lines (with a code excerpt); keep the first line. */
function oneLine(message: string): string {
  return message.split("\n")[0]!.trim().replace(/:$/, "");
}
