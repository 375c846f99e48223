/**
 * The service proxy of one node: watch Services and EndpointSlices, keep its own cache of
 * them (as kube-proxy's informers do), mark changed Services dirty, and let one
 * bounded-frequency loop program the node's table:
 *  - the first sync, and any sync after a failure, is a full atomic resync of the table (one
 *    transaction, no listing first), then chains and sets it left unused are deleted;
 *  - every other sync plans the dirty Services only and sends one transaction with just the
 *    elements that changed (plus a chain when an endpoint count first appears);
 *  - then, best effort: stale UDP conntrack entries of those Services are deleted and
 *    affinity entries that name removed endpoints are pruned.
 * Events never do work themselves; syncs never overlap.
 */
import { SliceCache } from "../cluster/slice-cache.js";
import type { ClusterSource } from "../cluster/store.js";
import type { KObject } from "../cluster/types.js";
import { errorMessage } from "../util/errors.js";
import { SyncLoop } from "../util/sync-loop.js";
import { affinityTargets, staleAffinity, touchesAffinity } from "./affinity.js";
import { type Conntrack, staleUdpEntries } from "./conntrack.js";
import { ElementIndex } from "./element-index.js";
import { type Element, serviceElements } from "./elements.js";
import type { ProxyTable } from "./nft.js";
import { renderCleanup, renderDelta, renderStructure } from "./render.js";
import { AFFINITY_MAP, type RulesetConfig, STATIC_ELEMENT_SETS } from "./ruleset.js";
import { serviceView } from "./service-view.js";

export interface ServiceProxyOptions {
  source: ClusterSource;
  node: string;
  config: RulesetConfig;
  table: ProxyTable;
  conntrack: Conntrack;
  log: (msg: string) => void;
  minSyncIntervalMs?: number;
  retryMs?: number;
}

export interface SyncStats {
  kind: "full" | "partial";
  services: number;
  changes: number;
  /** Wall clock of the whole sync, kernel transaction included. */
  ms: number;
  /** CPU time of planning and rendering (synchronous code: nothing else runs meanwhile). */
  computeCpuMs: number;
}

const cpuMsSince = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};

const keyOf = (o: KObject, name = o.metadata.name) => `${o.metadata.namespace ?? "default"}/${name}`;

export class ServiceProxy extends SyncLoop {
  private index = new ElementIndex();
  private services = new Map<string, KObject>();
  private slices = new SliceCache();
  private dirty = new Set<string>();
  /** Most recent syncs, newest last (bounded). */
  readonly history: SyncStats[] = [];

  constructor(private readonly o: ServiceProxyOptions) {
    super("service proxy", o);
  }

  /** Watch, list, and run the first (full) sync; resolves once it is programmed. */
  async start(): Promise<void> {
    this.unwatch = this.o.source.watch((ev) => {
      const obj = ev.object;
      if (obj.kind === "Service") {
        if (ev.type === "DELETED") this.services.delete(keyOf(obj));
        else this.services.set(keyOf(obj), obj);
        this.markDirty(keyOf(obj));
      } else if (obj.kind === "EndpointSlice") {
        for (const k of this.slices.file(obj, ev.type === "DELETED")) this.markDirty(k);
      }
    });
    for (const s of this.o.source.list("Service")) this.services.set(keyOf(s), s);
    for (const sl of this.o.source.list("EndpointSlice")) this.slices.file(sl, false);
    await this.firstSync();
  }

  private markDirty(key: string): void {
    this.dirty.add(key);
    this.runner.request();
  }

  private desired(key: string): Element[] {
    const svc = this.services.get(key);
    if (!svc) return [];
    const view = serviceView(svc, this.slices.of(key));
    for (const why of view.skipped) this.o.log(why);
    return serviceElements(view.ports, this.o.node);
  }

  private record(stats: SyncStats): void {
    this.history.push(stats);
    if (this.history.length > 50) this.history.shift();
  }

  protected async sync(): Promise<void> {
    if (this.needFull) return this.fullSync();
    const started = performance.now();
    const cpu = process.cpuUsage();
    const keys = [...this.dirty];
    this.dirty.clear();
    const updates = new Map(keys.map((k) => [k, this.desired(k)] as const));
    const plan = this.index.plan(updates);
    for (const c of plan.conflicts) this.o.log(`service proxy: conflict: ${c}`);
    const script = renderDelta(this.o.config, plan);
    const before = new Map(keys.map((k) => [k, this.index.elementsOf(k)] as const));
    const computeCpuMs = cpuMsSince(cpu);
    if (script !== "") {
      try {
        await this.o.table.apply(script);
      } catch (err) {
        this.needFull = true;
        throw err;
      }
    }
    this.index.commit(plan);
    this.record({
      kind: "partial",
      services: keys.length,
      changes: plan.changes.length,
      ms: performance.now() - started,
      computeCpuMs,
    });
    let affinity = false;
    for (const [k, next] of updates) {
      const prev = before.get(k) ?? [];
      for (const d of staleUdpEntries(prev, next)) {
        await this.o.conntrack
          .delete(d)
          .catch((e) => this.o.log(`conntrack cleanup for ${k}: ${errorMessage(e)}`));
      }
      affinity ||= touchesAffinity(prev, next);
    }
    if (affinity) await this.pruneAffinity();
  }

  private async fullSync(): Promise<void> {
    const started = performance.now();
    const cpu = process.cpuUsage();
    this.dirty.clear();
    const { index, conflicts } = ElementIndex.build(
      new Map([...this.services.keys()].map((k) => [k, this.desired(k)] as const)),
    );
    for (const c of conflicts) this.o.log(`service proxy: conflict: ${c}`);
    const effective = index.effective();
    const script = renderStructure(this.o.config, index.chains());
    const sets = new Map(STATIC_ELEMENT_SETS.map((s) => [s, effective.get(s) ?? []] as const));
    const computeCpuMs = cpuMsSince(cpu);
    const structure = this.o.table.apply(script).catch(async (err) => {
      this.o.log(`service proxy: the existing table cannot be reused (${errorMessage(err)}); recreating it`);
      await this.o.table.apply(renderStructure(this.o.config, index.chains(), { recreate: true }));
    });
    // Let nft start on the structure, then encode the elements while it works; they are sent
    // once the chains are in place (old elements still work with them): every set at once.
    await new Promise((r) => setImmediate(r));
    try {
      await this.o.table.replaceElements(sets, structure);
    } finally {
      await structure.catch(() => undefined); // settled either way before the next sync
    }
    this.index = index;
    this.needFull = false;
    let elements = 0;
    for (const list of effective.values()) elements += list.length;
    this.record({
      kind: "full",
      services: this.services.size,
      changes: elements,
      ms: performance.now() - started,
      computeCpuMs,
    });
    await this.cleanup();
    await this.pruneAffinity();
  }

  /** Delete the chains and sets a full sync left empty and unreferenced (best effort). */
  private async cleanup(): Promise<void> {
    try {
      const existing = await this.o.table.objects();
      if (existing) await this.o.table.apply(renderCleanup(this.o.config, existing, this.index.chains()));
    } catch (err) {
      this.o.log(`service proxy: cleanup after a full sync: ${errorMessage(err)}`);
    }
  }

  private async pruneAffinity(): Promise<void> {
    try {
      const entries = await this.o.table.listElements(AFFINITY_MAP);
      if (entries.length === 0) return;
      const stale = staleAffinity(entries, affinityTargets(this.index.effective()));
      if (stale.length === 0) return;
      const script = stale
        .map((k) => `delete element ip ${this.o.config.table} ${AFFINITY_MAP} { ${k} }`)
        .join("\n");
      // One transaction per entry would be slow; one for all fails if one expired meanwhile, so
      // fall back to entry by entry then.
      await this.o.table.apply(`${script}\n`).catch(async () => {
        for (const line of script.split("\n")) await this.o.table.apply(`${line}\n`).catch(() => undefined);
      });
    } catch (err) {
      this.o.log(`service proxy: affinity cleanup: ${errorMessage(err)}`);
    }
  }
}
