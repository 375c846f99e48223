/**
 * The in-process cluster store: what the API server and etcd are to a real cluster, for the
 * lab. Objects are keyed by kind/namespace/name, carry a uid and a resourceVersion from one
 * global counter, and every change is delivered to watchers in order.
 *
 * Writes keep Kubernetes' update semantics: re-applying an object replaces its spec and
 * metadata but keeps uid, creationTimestamp and status (a Pod with new labels keeps its IP).
 */
import { randomUUID } from "node:crypto";
import { type KObject, keyOf, objectKey, type WatchEvent } from "./types.js";

export type Watcher = (ev: WatchEvent) => void;

export interface ClusterSource {
  get(kind: string, namespace: string | undefined, name: string): KObject | undefined;
  list(kind: string, namespace?: string): KObject[];
  /** Subscribe; returns an unsubscribe function. Events after the call only. */
  watch(handler: Watcher): () => void;
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === "object" && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const child of Object.values(v as object)) deepFreeze(child);
  }
  return v;
}

export class Store implements ClusterSource {
  private objects = new Map<string, KObject>();
  private watchers = new Set<Watcher>();
  private version = 0;

  get(kind: string, namespace: string | undefined, name: string): KObject | undefined {
    const o = this.objects.get(keyOf(kind, namespace, name));
    return o && clone(o);
  }

  list(kind: string, namespace?: string): KObject[] {
    const out: KObject[] = [];
    for (const o of this.objects.values()) {
      if (o.kind !== kind) continue;
      if (namespace !== undefined && (o.metadata.namespace ?? "default") !== namespace) continue;
      out.push(clone(o));
    }
    return out.sort((a, b) => objectKey(a).localeCompare(objectKey(b)));
  }

  all(): KObject[] {
    return [...this.objects.values()].map(clone);
  }

  watch(handler: Watcher): () => void {
    this.watchers.add(handler);
    return () => this.watchers.delete(handler);
  }

  /** Create or update (apply). Status is kept unless the new object brings one. */
  apply(obj: KObject): KObject {
    const key = objectKey(obj);
    const old = this.objects.get(key);
    const next = clone(obj);
    next.metadata = { ...next.metadata };
    next.metadata.resourceVersion = String(++this.version);
    if (old) {
      next.metadata.uid = old.metadata.uid;
      next.metadata.creationTimestamp = old.metadata.creationTimestamp;
      if (next.status === undefined && old.status !== undefined) next.status = clone(old.status);
      if (JSON.stringify(old.spec) !== JSON.stringify(next.spec)) {
        next.metadata.generation = (old.metadata.generation ?? 1) + 1;
      } else next.metadata.generation = old.metadata.generation ?? 1;
    } else {
      next.metadata.uid = next.metadata.uid ?? randomUUID();
      next.metadata.creationTimestamp = next.metadata.creationTimestamp ?? new Date().toISOString();
      next.metadata.generation = 1;
    }
    this.objects.set(key, next);
    this.emit({ type: old ? "MODIFIED" : "ADDED", object: next });
    return clone(next);
  }

  /** Replace only the status (the status subresource). */
  updateStatus(
    kind: string,
    namespace: string | undefined,
    name: string,
    status: unknown,
  ): KObject | undefined {
    const key = keyOf(kind, namespace, name);
    const old = this.objects.get(key);
    if (!old) return undefined;
    if (JSON.stringify(old.status) === JSON.stringify(status)) return clone(old);
    const next = { ...old, status: clone(status), metadata: { ...old.metadata } };
    next.metadata.resourceVersion = String(++this.version);
    this.objects.set(key, next);
    this.emit({ type: "MODIFIED", object: next });
    return clone(next);
  }

  /** Patch metadata fields (labels/annotations/deletionTimestamp) without touching spec. */
  patchMetadata(
    kind: string,
    namespace: string | undefined,
    name: string,
    patch: Partial<KObject["metadata"]>,
  ): KObject | undefined {
    const key = keyOf(kind, namespace, name);
    const old = this.objects.get(key);
    if (!old) return undefined;
    const next = { ...old, metadata: { ...old.metadata, ...clone(patch) } };
    next.metadata.resourceVersion = String(++this.version);
    this.objects.set(key, next);
    this.emit({ type: "MODIFIED", object: next });
    return clone(next);
  }

  delete(kind: string, namespace: string | undefined, name: string): KObject | undefined {
    const key = keyOf(kind, namespace, name);
    const old = this.objects.get(key);
    if (!old) return undefined;
    this.objects.delete(key);
    this.version++;
    this.emit({ type: "DELETED", object: old });
    return clone(old);
  }

  /**
   * One frozen copy per event, shared by every watcher: with dozens of watchers (each node's
   * kubelet, pod network, proxy; controllers; DNS) a copy each made bursts of pod updates
   * quadratic. Frozen, so a watcher that mutates an event fails loudly instead of corrupting
   * what the others see.
   */
  private emit(ev: WatchEvent): void {
    const object = deepFreeze(clone(ev.object));
    for (const w of [...this.watchers]) w({ type: ev.type, object });
  }
}
