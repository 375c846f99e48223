/**
 * Which file and document each loaded object came from. Objects stay plain JSON (so they
 * serialise, compare and clone like the API's objects), so the source is kept beside them in a
 * WeakMap keyed by object identity. Anything that derives a new object from a loaded one
 * (defaulting, Deployment expansion) copies the source over with `inheritSource`, so later
 * stages (allocators, the lab) can still point at the user's file in their errors.
 */
import type { ObjectSource } from "./errors.js";
import { formatSource } from "./errors.js";
import type { LoadedObject } from "./types.js";
import { objectRef } from "./types.js";

const sources = new WeakMap<object, ObjectSource>();

export function recordSource(obj: object, source: ObjectSource): void {
  sources.set(obj, source);
}

/** Where the object was loaded from, or undefined for objects made in code. */
export function sourceOf(obj: object): ObjectSource | undefined {
  return sources.get(obj);
}

/** Give `derived` the source of `original` (if it has one); returns `derived`. */
export function inheritSource<T extends object>(derived: T, original: object): T {
  const src = sources.get(original);
  if (src) sources.set(derived, src);
  return derived;
}

/** "web.yaml#2 Service shop/web" (or just "Service shop/web" without a known source). */
export function describeObject(obj: LoadedObject): string {
  const src = sources.get(obj);
  if (!src) return objectRef(obj);
  const item = src.itemIndex === undefined ? "" : ` items[${src.itemIndex}]`;
  return `${formatSource(src)}${item} ${objectRef(obj)}`;
}
