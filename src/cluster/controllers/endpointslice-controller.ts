/**
 * The EndpointSlice controller: keeps every selector Service's slices equal to
 * desiredEndpointSlices(service, pods). Store events only mark Services dirty (a Service
 * event its own key, a Pod event every selector Service of the pod's namespace, a managed
 * slice event its owner); one pass per tick reconciles the dirty ones, listing each
 * namespace's pods once. Writes only when content differs, so its own events settle.
 * Slices that others manage (another managed-by, or none) are never touched.
 */
import type { Store } from "../store.js";
import type { KObject } from "../types.js";
import {
  desiredEndpointSlices,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  managesSlices,
  SERVICE_NAME_LABEL,
} from "./endpointslice-desired.js";

const svcKey = (namespace: string | undefined, name: string) => `${namespace ?? "default"}/${name}`;

/** The parts of a slice the controller owns; status-like metadata is ignored. */
function content(o: KObject): string {
  return JSON.stringify({
    labels: o.metadata.labels ?? {},
    ownerReferences: o.metadata.ownerReferences ?? [],
    addressType: o.addressType,
    endpoints: o.endpoints ?? [],
    ports: o.ports ?? [],
  });
}

function isManaged(slice: KObject): boolean {
  return slice.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY;
}

export class EndpointSliceController {
  private dirty = new Set<string>();
  private scheduled = false;
  private unwatch?: () => void;

  constructor(private readonly store: Store) {}

  start(): void {
    this.unwatch = this.store.watch((ev) => {
      const o = ev.object;
      if (o.kind === "Service") this.mark(svcKey(o.metadata.namespace, o.metadata.name));
      else if (o.kind === "Pod") this.markNamespace(o.metadata.namespace ?? "default");
      else if (o.kind === "EndpointSlice" && isManaged(o)) {
        const owner = o.metadata.labels?.[SERVICE_NAME_LABEL];
        if (owner) this.mark(svcKey(o.metadata.namespace, owner));
      }
    });
    for (const s of this.store.list("Service")) this.mark(svcKey(s.metadata.namespace, s.metadata.name));
  }

  stop(): void {
    this.unwatch?.();
  }

  /** Reconcile everything marked so far, now (tests and the scheduled tick use it). */
  flush(): void {
    this.scheduled = false;
    const keys = [...this.dirty];
    this.dirty.clear();
    const podsByNs = new Map<string, KObject[]>();
    const pods = (ns: string) => {
      let list = podsByNs.get(ns);
      if (!list) {
        // The stored pods themselves (frozen, no copy): desiredEndpointSlices only reads them.
        list = [...this.store.scan("Pod", ns)];
        podsByNs.set(ns, list);
      }
      return list;
    };
    for (const key of keys) {
      const [namespace, name] = key.split("/") as [string, string];
      this.reconcile(namespace, name, pods);
    }
  }

  private mark(key: string): void {
    this.dirty.add(key);
    if (this.scheduled) return;
    this.scheduled = true;
    // A short timer, not a microtask: kubelets report pods one by one, and a burst of pod
    // updates should cost one reconcile per Service, not one per update.
    setTimeout(() => this.flush(), 10);
  }

  private markNamespace(namespace: string): void {
    for (const s of this.store.list("Service", namespace)) {
      if (managesSlices(s)) this.mark(svcKey(namespace, s.metadata.name));
    }
  }

  private reconcile(namespace: string, name: string, pods: (ns: string) => KObject[]): void {
    const service = this.store.get("Service", namespace, name);
    const want = service ? desiredEndpointSlices(service, pods(namespace)) : [];
    const have = this.store
      .list("EndpointSlice", namespace)
      .filter((s) => isManaged(s) && s.metadata.labels?.[SERVICE_NAME_LABEL] === name);
    const wantNames = new Set(want.map((s) => s.metadata.name));
    for (const slice of want) {
      const existing = have.find((h) => h.metadata.name === slice.metadata.name);
      if (!existing || content(existing) !== content(slice)) this.store.apply(slice);
    }
    for (const slice of have) {
      if (!wantNames.has(slice.metadata.name))
        this.store.delete("EndpointSlice", namespace, slice.metadata.name);
    }
  }
}
