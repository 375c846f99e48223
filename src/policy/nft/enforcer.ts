/**
 * The NetworkPolicy enforcer of one node: watch Pods, Namespaces and NetworkPolicies, keep
 * the policy model the analyzer uses (PolicyModel over a PodUniverse) up to date, and let one
 * bounded-frequency loop program the node's `inet flatnet-policy` table:
 *  - events only mark work: a pod or namespace change that policy can see (labels, IPs,
 *    node, named ports; not readiness) marks the universe dirty, a policy change marks that
 *    policy dirty;
 *  - a sync rebuilds the model when the universe is dirty (selectors and ipBlocks move), else
 *    re-compiles only the dirty policies (PolicyModel.setPolicy/deletePolicy), then computes
 *    the node's elements (elements.ts) and sends one transaction with only the elements that
 *    differ from what the kernel was last given;
 *  - the first sync, and the first after a failure, is a full atomic resync of the table;
 *  - while there is no NetworkPolicy, pod and namespace changes sync nothing (the elements
 *    do not depend on them then); the next policy's sync rebuilds the model.
 * A policy that does not compile (the API should have refused it) is logged and left out.
 * Syncs never overlap; the `synced` element carries the newest resourceVersion seen.
 */
import type { V1Namespace, V1Pod } from "@kubernetes/client-node";
import type { ClusterSource } from "../../cluster/store.js";
import type { KObject } from "../../cluster/types.js";
import { errorMessage } from "../../util/errors.js";
import { SyncLoop } from "../../util/sync-loop.js";
import type { NetworkPolicyLike } from "../compile.js";
import { policyNamespace, policyPod } from "../from-objects.js";
import { PolicyModel } from "../model.js";
import type { PolicyNamespace, PolicyPod } from "../types.js";
import { PodUniverse } from "../universe.js";
import { desiredElements, type Elements } from "./elements.js";
import type { PeerIdentities } from "./identities.js";
import { elementChanges, renderChanges, renderFull } from "./render.js";
import type { PolicyTable } from "./table.js";

export interface PolicyEnforcerOptions {
  source: ClusterSource;
  node: string;
  table: PolicyTable;
  log: (msg: string) => void;
  minSyncIntervalMs?: number;
  retryMs?: number;
}

export interface PolicySyncStats {
  kind: "full" | "partial";
  /** Policies re-compiled (partial) or compiled (full / rebuilt model). */
  policies: number;
  /** Elements sent: all of them (full) or the changed ones. */
  changes: number;
  ms: number;
}

/** An object as policy sees it, with its JSON to tell changes that matter from the rest. */
interface Kept<T> {
  value: T;
  text: string;
}

const keyOf = (o: KObject) => `${o.metadata.namespace ?? "default"}/${o.metadata.name}`;

export class PolicyEnforcer extends SyncLoop {
  private readonly pods = new Map<string, Kept<PolicyPod>>();
  private readonly namespaces = new Map<string, Kept<PolicyNamespace>>();
  private readonly policies = new Map<string, KObject>();
  private readonly dirtyPolicies = new Set<string>();
  private universeDirty = true;
  private model?: PolicyModel;
  private installed?: Elements;
  private identities?: PeerIdentities;
  private version = 0;
  /** Most recent syncs, newest last (bounded). */
  readonly history: PolicySyncStats[] = [];

  constructor(private readonly o: PolicyEnforcerOptions) {
    super("policy", o);
  }

  /** Watch, list, and run the first (full) sync; resolves once it is programmed. */
  async start(): Promise<void> {
    this.unwatch = this.o.source.watch((ev) => {
      const obj = ev.object;
      if (obj.kind !== "Pod" && obj.kind !== "Namespace" && obj.kind !== "NetworkPolicy") return;
      this.seen(obj);
      if (this.take(obj, ev.type === "DELETED") && this.podsMatter(obj)) this.runner.request();
    });
    for (const kind of ["Namespace", "Pod", "NetworkPolicy"]) {
      for (const obj of this.o.source.list(kind)) {
        this.seen(obj);
        this.take(obj, false);
      }
    }
    await this.firstSync();
  }

  /** The model as last synced (tests; `trace` explains with its own copy). */
  currentModel(): PolicyModel | undefined {
    return this.model;
  }

  /** The elements the kernel was last given (tests compare them with the kernel's). */
  programmed(): Elements | undefined {
    return this.installed;
  }

  private seen(obj: KObject): void {
    const rv = Number(obj.metadata.resourceVersion);
    if (Number.isSafeInteger(rv) && rv > this.version) this.version = rv;
  }

  /**
   * Whether a change policy can see needs a sync now. Without any NetworkPolicy the table's
   * elements do not depend on pods or namespaces at all (no pod is isolated, every address is
   * identity 0), so their changes only mark the universe dirty for the next policy's sync:
   * bringing up 1,000 pods costs each node no sync at all, instead of one per burst.
   */
  private podsMatter(obj: KObject): boolean {
    return obj.kind === "NetworkPolicy" || this.policies.size > 0;
  }

  /** Record an object; true when policy can see the change. */
  private take(obj: KObject, deleted: boolean): boolean {
    if (obj.kind === "NetworkPolicy") {
      if (deleted) this.policies.delete(keyOf(obj));
      else this.policies.set(keyOf(obj), obj);
      this.dirtyPolicies.add(keyOf(obj));
      return true;
    }
    if (obj.kind === "Pod")
      return this.keep(this.pods, keyOf(obj), deleted ? undefined : policyPod(obj as unknown as V1Pod));
    return this.keep(
      this.namespaces,
      obj.metadata.name,
      deleted ? undefined : policyNamespace(obj as unknown as V1Namespace),
    );
  }

  private keep<T>(m: Map<string, Kept<T>>, key: string, next: T | undefined): boolean {
    const text = next === undefined ? undefined : JSON.stringify(next);
    if (m.get(key)?.text === text) return false;
    if (next === undefined || text === undefined) m.delete(key);
    else m.set(key, { value: next, text });
    this.universeDirty = true;
    return true;
  }

  private setPolicy(model: PolicyModel, obj: KObject): void {
    try {
      model.setPolicy(obj as unknown as NetworkPolicyLike);
    } catch (err) {
      this.o.log(`policy ${keyOf(obj)} left out: ${errorMessage(err)}`);
    }
  }

  private record(stats: PolicySyncStats): void {
    this.history.push(stats);
    if (this.history.length > 50) this.history.shift();
  }

  protected async sync(): Promise<void> {
    const started = performance.now();
    const version = this.version;
    let compiled = 0;
    if (!this.model || this.universeDirty) {
      this.universeDirty = false;
      this.dirtyPolicies.clear();
      const universe = new PodUniverse(
        [...this.pods.values()].map((p) => p.value),
        [...this.namespaces.values()].map((n) => n.value),
      );
      const model = new PolicyModel(universe);
      for (const obj of this.policies.values()) this.setPolicy(model, obj);
      this.model = model;
      compiled = this.policies.size;
    } else {
      for (const key of this.dirtyPolicies) {
        const obj = this.policies.get(key);
        if (obj) this.setPolicy(this.model, obj);
        else {
          const [ns, name] = key.split("/") as [string, string];
          this.model.deletePolicy(ns, name);
        }
      }
      compiled = this.dirtyPolicies.size;
      this.dirtyPolicies.clear();
    }
    const desired = desiredElements(this.model, this.o.node, this.identities, version);
    const full = this.needFull || !this.installed;
    let script: string;
    let changes: number;
    if (full) {
      script = renderFull(desired.elements);
      changes = [...desired.elements.values()].reduce((n, m) => n + m.size, 0);
    } else {
      const delta = elementChanges(this.installed!, desired.elements);
      script = renderChanges(delta);
      changes = delta.count;
    }
    try {
      await this.o.table.apply(script);
    } catch (err) {
      this.needFull = true;
      throw err;
    }
    this.installed = desired.elements;
    this.identities = desired.identities;
    this.needFull = false;
    this.record({
      kind: full ? "full" : "partial",
      policies: compiled,
      changes,
      ms: performance.now() - started,
    });
  }
}
