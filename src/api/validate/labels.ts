/**
 * Labels, annotations and label selectors: the syntax checks shared by every kind that carries
 * metadata or selects objects (Deployment, NetworkPolicy, Service selectors).
 */
import {
  at,
  type FieldErrors,
  idx,
  listField,
  objectField,
  stringField,
  stringListField,
  stringMapField,
} from "./field.js";
import { labelValue, qualifiedName } from "./names.js";

export const SELECTOR_OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

/** Labels (or a Service-style map selector): keys qualified names, values label values. */
export function validateLabels(errs: FieldErrors, path: string, v: unknown): Record<string, string> {
  const labels = stringMapField(errs, path, v);
  for (const [key, value] of Object.entries(labels)) {
    const keyProblems = qualifiedName(key);
    if (keyProblems.length) errs.invalid(path, key, keyProblems.join("; "));
    const valueProblems = labelValue(value);
    if (valueProblems.length) errs.invalid(idx(path, key), value, valueProblems.join("; "));
  }
  return labels;
}

/** Annotations: keys are qualified names, values any string; total size <= 256 KiB. */
export function validateAnnotations(errs: FieldErrors, path: string, v: unknown): void {
  const annotations = stringMapField(errs, path, v);
  let size = 0;
  for (const [key, value] of Object.entries(annotations)) {
    const keyProblems = qualifiedName(key.toLowerCase());
    if (keyProblems.length) errs.invalid(path, key, keyProblems.join("; "));
    size += key.length + value.length;
  }
  if (size > 256 * 1024)
    errs.invalid(path, `${size} bytes`, "annotations must total no more than 262144 bytes");
}

/** A metav1.LabelSelector: matchLabels plus matchExpressions. */
export function validateLabelSelector(errs: FieldErrors, path: string, v: unknown): void {
  const sel = objectField(errs, path, v);
  if (!sel) return;
  validateLabels(errs, at(path, "matchLabels"), sel.matchLabels);
  const exprsPath = at(path, "matchExpressions");
  listField(errs, exprsPath, sel.matchExpressions).forEach((item, i) => {
    const ePath = idx(exprsPath, i);
    const expr = objectField(errs, ePath, item);
    if (!expr) return;
    const key = stringField(errs, at(ePath, "key"), expr.key);
    if (key === undefined || key === "") errs.required(at(ePath, "key"));
    else {
      const problems = qualifiedName(key);
      if (problems.length) errs.invalid(at(ePath, "key"), key, problems.join("; "));
    }
    const operator = stringField(errs, at(ePath, "operator"), expr.operator);
    const valuesPath = at(ePath, "values");
    const values = stringListField(errs, valuesPath, expr.values);
    if (operator === undefined) {
      errs.required(at(ePath, "operator"));
    } else if (operator === "In" || operator === "NotIn") {
      if (values.length === 0) errs.required(valuesPath, `must be specified when operator is '${operator}'`);
    } else if (operator === "Exists" || operator === "DoesNotExist") {
      if (values.length > 0)
        errs.forbidden(valuesPath, `may not be specified when operator is '${operator}'`);
    } else {
      errs.unsupported(at(ePath, "operator"), operator, SELECTOR_OPERATORS);
    }
    values.forEach((value, j) => {
      const problems = labelValue(value);
      if (problems.length) errs.invalid(idx(valuesPath, j), value, problems.join("; "));
    });
  });
}
