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
  /**
   * Every object stored once, deep-frozen: the same object is what watchers get in the event
   * and what `peek`/`scan` hand out, so readers that only look pay no copy. `get`/`list`
   * still return copies the caller may change.
   */
  private objects = new Map<string, KObject>();
  /** The same objects by kind (most reads are one kind: every Pod, every Node). */
  private byKind = new Map<string, Map<string, KObject>>();
  private watchers = new Set<Watcher>();
  private version = 0;
  /** Events not yet delivered to every watcher, oldest first (see emit). */
  private pending: WatchEvent[] = [];
  private emitting = false;

  get(kind: string, namespace: string | undefined, name: string): KObject | undefined {
    const o = this.objects.get(keyOf(kind, namespace, name));
    return o && clone(o);
  }

  /** The stored object itself: frozen and shared, never to be changed. No copy. */
  peek(kind: string, namespace: string | undefined, name: string): Readonly<KObject> | undefined {
    return this.objects.get(keyOf(kind, namespace, name));
  }

  /**
   * The stored objects of a kind (and namespace), frozen and shared, in no promised order
   * (`list` sorts). For readers that only look at many objects often (controllers, status).
   */
  *scan(kind: string, namespace?: string): IterableIterator<Readonly<KObject>> {
    const objects = this.byKind.get(kind);
    if (!objects) return;
    for (const o of objects.values()) {
      if (namespace !== undefined && (o.metadata.namespace ?? "default") !== namespace) continue;
      yield o;
    }
  }

  list(kind: string, namespace?: string): KObject[] {
    const keyed: Array<[string, KObject]> = [];
    for (const o of this.scan(kind, namespace)) keyed.push([objectKey(o), o]);
    keyed.sort((a, b) => a[0].localeCompare(b[0]));
    return keyed.map(([, o]) => clone(o));
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
      // Shared with the old version: both are frozen.
      if (next.status === undefined && old.status !== undefined) next.status = old.status;
      if (JSON.stringify(old.spec) !== JSON.stringify(next.spec)) {
        next.metadata.generation = (old.metadata.generation ?? 1) + 1;
      } else next.metadata.generation = old.metadata.generation ?? 1;
    } else {
      next.metadata.uid = next.metadata.uid ?? randomUUID();
      next.metadata.creationTimestamp = next.metadata.creationTimestamp ?? new Date().toISOString();
      next.metadata.generation = 1;
    }
    this.put(key, next);
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
    this.put(key, next);
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
    this.put(key, next);
    this.emit({ type: "MODIFIED", object: next });
    return clone(next);
  }

  delete(kind: string, namespace: string | undefined, name: string): KObject | undefined {
    const key = keyOf(kind, namespace, name);
    const old = this.objects.get(key);
    if (!old) return undefined;
    this.objects.delete(key);
    this.byKind.get(old.kind)?.delete(key);
    this.version++;
    this.emit({ type: "DELETED", object: old });
    return clone(old);
  }

  /**
   * Store a new version, frozen (parts it shares with the old version already are). Frozen, so
   * a watcher or reader that mutates an object fails loudly instead of corrupting the store.
   */
  private put(key: string, next: KObject): void {
    deepFreeze(next);
    this.objects.set(key, next);
    let kind = this.byKind.get(next.kind);
    if (!kind) {
      kind = new Map();
      this.byKind.set(next.kind, kind);
    }
    kind.set(key, next);
  }

  /**
   * The stored (frozen) object itself, shared by every watcher: with dozens of watchers (each
   * node's kubelet, pod network, proxy; controllers; DNS) a copy each made bursts of pod
   * updates quadratic, and so did one copy per event.
   */
  private emit(ev: WatchEvent): void {
    // A watcher may write from inside its callback (the kubelet updates a pod's status as it
    // sees the pod). Delivering that nested event at once would hand it to the watchers after
    // the writer before the event that caused it: they would see DELETED, then the older
    // MODIFIED, and keep a deleted object. So, like an API server's watch, every watcher gets
    // events in commit order: nested writes queue, and the outermost emit delivers the queue.
    this.pending.push(ev);
    if (this.emitting) return;
    this.emitting = true;
    let failure: unknown;
    try {
      for (let i = 0; i < this.pending.length; i++) {
        const e = this.pending[i]!;
        for (const w of [...this.watchers]) {
          try {
            w(e);
          } catch (err) {
            // One watcher's bug must not cost the others their events; the writer still hears.
            failure ??= err;
          }
        }
      }
    } finally {
      this.pending = [];
      this.emitting = false;
    }
    if (failure !== undefined) throw failure;
  }
}
