/**
 * What the API server does between receiving an object and storing it: default, then
 * validate, then reject a second object with the same key. A load is all-or-nothing: every
 * problem of every document is collected and thrown as one ManifestErrors.
 */
import { applyDefaults } from "./defaults/index.js";
import { formatSource, ManifestError, ManifestErrors } from "./errors.js";
import { KIND_INFO } from "./kinds.js";
import type { RawObject } from "./parse.js";
import { recordSource } from "./source.js";
import type { LoadedObject } from "./types.js";
import { objectKey, objectRef } from "./types.js";
import { isRecord, type Json } from "./validate/field.js";
import { validateObject } from "./validate/index.js";

/** Default, validate and de-duplicate raw objects; `earlier` errors (e.g. parse errors) join the report. */
export function admitObjects(
  raw: readonly RawObject[],
  earlier: readonly ManifestError[] = [],
): LoadedObject[] {
  const errors: ManifestError[] = [...earlier];
  const admitted: LoadedObject[] = [];
  const seen = new Map<string, RawObject>();
  let cluster: RawObject | undefined;
  for (const item of raw) {
    recordSource(item.obj, item.source);
    const obj = applyDefaults(item.obj);
    recordSource(obj, item.source);
    const ref = describeRaw(item.kind, obj);
    const fieldErrors = validateObject(item.kind, obj);
    for (const fe of fieldErrors) errors.push(new ManifestError(item.source, ref, fe));
    if (fieldErrors.length > 0) continue;
    const loaded = obj as unknown as LoadedObject;
    if (item.kind === "Cluster") {
      if (cluster) {
        errors.push(
          new ManifestError(item.source, ref, {
            type: "Duplicate value",
            field: "",
            value: "Cluster",
            detail: `only one Cluster config per load; another is at ${where(cluster)}`,
          }),
        );
        continue;
      }
      cluster = item;
    } else {
      const key = objectKey(loaded);
      const first = seen.get(key);
      if (first) {
        errors.push(
          new ManifestError(item.source, ref, {
            type: "Duplicate value",
            field: "metadata.name",
            value: (obj.metadata as Json).name,
            detail: `${objectRef(loaded)} is also defined at ${where(first)}`,
          }),
        );
        continue;
      }
      seen.set(key, item);
    }
    admitted.push(loaded);
  }
  if (errors.length > 0) throw new ManifestErrors(errors);
  return admitted;
}

function where(item: RawObject): string {
  const src = item.source;
  return `${formatSource(src)}${src.itemIndex === undefined ? "" : ` items[${src.itemIndex}]`}`;
}

/** "Service shop/web" from a possibly malformed object; just the kind when unnamed. */
function describeRaw(kind: RawObject["kind"], obj: Json): string {
  if (kind === "Cluster") return typeof obj.name === "string" && obj.name ? `Cluster ${obj.name}` : "Cluster";
  const meta = isRecord(obj.metadata) ? obj.metadata : {};
  if (typeof meta.name !== "string" || meta.name === "") return kind;
  const ns = KIND_INFO[kind].namespaced && typeof meta.namespace === "string" ? `${meta.namespace}/` : "";
  return `${kind} ${ns}${meta.name}`;
}
