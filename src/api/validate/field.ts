/**
 * The toolkit every validator uses: a collector of field errors, field-path builders, and
 * shape readers. Loaded objects are untrusted JSON (a port may be a list, a label value a
 * number), so validators read fields through these helpers, which report a wrong shape as a
 * field error and return undefined instead of letting a validator crash on it.
 */
import type { FieldError } from "../errors.js";

/** `at("spec", "ports")` = "spec.ports"; `at("", "spec")` = "spec". */
export function at(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** `idx("spec.ports", 1)` = "spec.ports[1]"; also map keys: `idx("data", "tls.crt")`. */
export function idx(path: string, i: number | string): string {
  return `${path}[${i}]`;
}

export class FieldErrors {
  readonly list: FieldError[] = [];

  get empty(): boolean {
    return this.list.length === 0;
  }

  required(field: string, detail?: string): void {
    this.list.push(detail ? { type: "Required value", field, detail } : { type: "Required value", field });
  }

  invalid(field: string, value: unknown, detail: string): void {
    this.list.push({ type: "Invalid value", field, value, detail });
  }

  unsupported(field: string, value: unknown, supported: readonly string[]): void {
    this.list.push({ type: "Unsupported value", field, value, supported });
  }

  duplicate(field: string, value: unknown, detail?: string): void {
    this.list.push(
      detail ? { type: "Duplicate value", field, value, detail } : { type: "Duplicate value", field, value },
    );
  }

  forbidden(field: string, detail: string): void {
    this.list.push({ type: "Forbidden", field, detail });
  }

  tooMany(field: string, count: number, max: number): void {
    this.list.push({ type: "Too many", field, value: count, detail: `must have at most ${max} items` });
  }
}

export type Json = Record<string, unknown>;

export function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isAbsent(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}

/** An optional object field: undefined when absent, an error and undefined when not a mapping. */
export function objectField(errs: FieldErrors, path: string, v: unknown): Json | undefined {
  if (isAbsent(v)) return undefined;
  if (isRecord(v)) return v;
  errs.invalid(path, v, "must be an object (a mapping)");
  return undefined;
}

/** An optional list field (null/absent gives []). */
export function listField(errs: FieldErrors, path: string, v: unknown): unknown[] {
  if (isAbsent(v)) return [];
  if (Array.isArray(v)) return v;
  errs.invalid(path, v, "must be a list");
  return [];
}

/** An optional string field. */
export function stringField(errs: FieldErrors, path: string, v: unknown): string | undefined {
  if (isAbsent(v)) return undefined;
  if (typeof v === "string") return v;
  errs.invalid(path, v, "must be a string");
  return undefined;
}

/** An optional integer field. */
export function intField(errs: FieldErrors, path: string, v: unknown): number | undefined {
  if (isAbsent(v)) return undefined;
  if (typeof v === "number" && Number.isInteger(v)) return v;
  errs.invalid(path, v, "must be an integer");
  return undefined;
}

/** An optional boolean field. */
export function boolField(errs: FieldErrors, path: string, v: unknown): boolean | undefined {
  if (isAbsent(v)) return undefined;
  if (typeof v === "boolean") return v;
  errs.invalid(path, v, "must be true or false");
  return undefined;
}

/** An optional list of strings (each element checked). */
export function stringListField(errs: FieldErrors, path: string, v: unknown): string[] {
  const out: string[] = [];
  listField(errs, path, v).forEach((item, i) => {
    if (typeof item === "string") out.push(item);
    else errs.invalid(idx(path, i), item, "must be a string");
  });
  return out;
}

/** An optional map of string to string (labels, annotations, selectors, data). */
export function stringMapField(errs: FieldErrors, path: string, v: unknown): Record<string, string> {
  const obj = objectField(errs, path, v);
  const out: Record<string, string> = {};
  if (!obj) return out;
  for (const [key, value] of Object.entries(obj)) {
    if (typeof value === "string") out[key] = value;
    else errs.invalid(idx(path, key), value, "must be a string (quote numbers and booleans in YAML)");
  }
  return out;
}

/** Check an integer lies in [min, max]. */
export function checkRange(
  errs: FieldErrors,
  path: string,
  value: number | undefined,
  min: number,
  max: number,
): void {
  if (value !== undefined && (value < min || value > max)) {
    errs.invalid(path, value, `must be between ${min} and ${max}, inclusive`);
  }
}

/** Check a string is one of the supported values. */
export function checkEnum(
  errs: FieldErrors,
  path: string,
  value: string | undefined,
  supported: readonly string[],
): void {
  if (value !== undefined && !supported.includes(value)) errs.unsupported(path, value, supported);
}
