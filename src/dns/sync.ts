/**
 * Keeps a Zone equal to `records(state)` for a live cluster: list + watch a ClusterSource
 * (the in-process store, or the lab daemon's stream), and on each event only mark the
 * affected Services dirty; one coalescing flush (next turn of the event loop) recomputes
 * those Services' records and swaps them into the zone. A burst of 10,000 applies is one
 * flush; a single new Service is in the zone a few milliseconds after its event.
 *
 * Which Services an event touches: a Service itself; an EndpointSlice's Service (by the
 * kubernetes.io/service-name label, old and new); a Pod's `<ns>/<spec.subdomain>` (old and
 * new), since a Pod's hostname names its endpoint in that headless Service. Namespace events
 * change which pod names exist.
 */
import { SliceCache } from "../cluster/slice-cache.js";
import type { ClusterSource } from "../cluster/store.js";
import type { KObject, WatchEvent } from "../cluster/types.js";
import { type RecordOptions, serviceRecords, staticRecords } from "./records.js";
import type { Zone } from "./zone.js";

const KINDS = ["Namespace", "Service", "EndpointSlice", "Pod"] as const;

function nsOf(o: KObject): string {
  return o.metadata.namespace ?? "default";
}

export class ZoneSync {
  private readonly services = new Map<string, KObject>();
  private readonly slices = new SliceCache();
  /** Pod key -> hostname/subdomain (only Pods that set both). */
  private readonly podNames = new Map<string, { hostname: string; subdomain: string }>();
  private readonly dirty = new Set<string>();
  private flushScheduled = false;
  private unwatch: (() => void) | undefined;
  private synced = false;
  private readonly opts: RecordOptions;

  constructor(
    private readonly source: ClusterSource,
    private readonly zone: Zone,
  ) {
    this.opts = { domain: zone.domain, ttl: zone.ttl };
  }

  /** True once the first full list has been applied: until then cluster names are SERVFAIL. */
  get ready(): boolean {
    return this.synced;
  }

  /** Subscribe, list everything, build the zone. Events arriving meanwhile are applied too. */
  start(): void {
    if (this.unwatch) return;
    this.unwatch = this.source.watch((ev) => this.onEvent(ev));
    this.zone.setOwner("static", staticRecords(this.opts));
    for (const kind of KINDS)
      for (const o of this.source.list(kind)) this.onEvent({ type: "ADDED", object: o });
    this.flush();
    this.synced = true;
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  private onEvent(ev: WatchEvent): void {
    const o = ev.object;
    const gone = ev.type === "DELETED";
    switch (o.kind) {
      case "Namespace":
        this.zone.setNamespace(o.metadata.name, !gone);
        return;
      case "Service": {
        const key = `${nsOf(o)}/${o.metadata.name}`;
        if (gone) this.services.delete(key);
        else this.services.set(key, o);
        this.markDirty(key);
        return;
      }
      case "EndpointSlice":
        this.onSlice(o, gone);
        return;
      case "Pod":
        this.onPod(o, gone);
        return;
    }
  }

  private onSlice(o: KObject, gone: boolean): void {
    for (const key of this.slices.file(o, gone)) this.markDirty(key);
  }

  private onPod(o: KObject, gone: boolean): void {
    const ns = nsOf(o);
    const podKey = `${ns}/${o.metadata.name}`;
    const old = this.podNames.get(podKey);
    const hostname = o.spec?.hostname;
    const subdomain = o.spec?.subdomain;
    const next =
      !gone && typeof hostname === "string" && hostname && typeof subdomain === "string" && subdomain
        ? { hostname, subdomain }
        : undefined;
    if (old?.hostname === next?.hostname && old?.subdomain === next?.subdomain) return;
    if (old) this.markDirty(`${ns}/${old.subdomain}`);
    if (next) {
      this.podNames.set(podKey, next);
      this.markDirty(`${ns}/${next.subdomain}`);
    } else this.podNames.delete(podKey);
  }

  private markDirty(serviceKey: string): void {
    this.dirty.add(serviceKey);
    if (this.flushScheduled || !this.synced) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Recompute every dirty Service's records into the zone. */
  flush(): void {
    this.flushScheduled = false;
    const pods = (ns: string, name: string) => this.podNames.get(`${ns}/${name}`);
    for (const key of this.dirty) {
      const svc = this.services.get(key);
      const slices = this.slices.of(key);
      this.zone.setOwner(`svc/${key}`, svc ? serviceRecords(svc, slices, pods, this.opts) : []);
    }
    this.dirty.clear();
  }
}
