/**
 * The lab's control plane: the store plus the controllers a cluster runs around it.
 *  - admission (synchronous, all-or-nothing per apply): namespace existence, node podCIDRs
 *    (kube-controller-manager's node IPAM), Pod spec immutability;
 *  - the Deployment controller: a Deployment's Pods exist exactly as expanded (deterministic
 *    names), so deleted or evicted Pods come back and scaled-down ones go;
 *  - the scheduler: unbound Pods go to a node with room, re-tried when nodes or pods change;
 *  - graceful deletion: a bound Pod is marked (deletionTimestamp) and its node removes it
 *    once torn down; unbound Pods go at once.
 *  - Services: ClusterIP/NodePort allocation at admission (against a trial copy, kept only
 *    when the whole apply passes), released on delete; the EndpointSlice controller.
 * Other controllers register the same way as they arrive.
 */
import { expandWorkloads } from "../api/index.js";
import { cidrSize, formatCidr, parseCidr } from "../ipam/cidr.js";
import { NodeCidrAllocator } from "../ipam/node-cidrs.js";
import { UserError } from "../util/errors.js";
import { EndpointSliceController } from "./controllers/endpointslice-controller.js";
import { ServiceAllocations } from "./controllers/service-allocation.js";
import { schedulePod } from "./scheduler.js";
import { Store } from "./store.js";
import { CLUSTER_SCOPED, type KObject, keyOf, objectKey } from "./types.js";

export interface ControlPlaneConfig {
  podSubnet: string;
  nodeCIDRMaskSize: number;
  /** ClusterIP range (default 10.96.0.0/12). */
  serviceSubnet?: string;
  /** NodePort range "FIRST-LAST" (default 30000-32767). */
  nodePortRange?: string;
}

export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
/** Kinds applied first, so one file can hold a Namespace and what lives in it. */
const ORDER = ["Namespace", "Node", "Secret", "ConfigMap", "Service", "Deployment", "Pod"];

function rank(kind: string): number {
  const i = ORDER.indexOf(kind);
  return i < 0 ? ORDER.length : i;
}

/** Objects in the order Store.list gives them (by objectKey, as localeCompare orders). */
function byKey<T extends KObject>(objects: T[]): T[] {
  return objects
    .map((o): [string, T] => [objectKey(o), o])
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([, o]) => o);
}

function stripStatus(o: KObject): KObject {
  const { status: _status, ...rest } = o;
  return rest as KObject;
}

/** What a user wrote: everything but status and server-set metadata (uid, resourceVersion...). */
function userView(o: KObject): string {
  const { status: _s, metadata, ...rest } = o;
  const { name, namespace, labels, annotations } = metadata;
  return JSON.stringify({
    ...rest,
    metadata: { name, namespace, labels: labels ?? {}, annotations: annotations ?? {} },
  });
}

export class ControlPlane {
  readonly store = new Store();
  private readonly nodeCidrs: NodeCidrAllocator;
  private services: ServiceAllocations;
  readonly endpointSlices: EndpointSliceController;
  private scheduling = false;
  private dirtyDeployments = new Set<string>();
  private controllersQueued = false;
  /** Each Deployment's expansion, kept while what it depends on is unchanged. */
  private expansions = new Map<string, { sig: string; pods: KObject[]; names: Set<string> }>();

  constructor(readonly config: ControlPlaneConfig) {
    this.nodeCidrs = new NodeCidrAllocator(config.podSubnet, config.nodeCIDRMaskSize);
    this.services = ServiceAllocations.create(config.serviceSubnet ?? "10.96.0.0/12", config.nodePortRange);
    this.endpointSlices = new EndpointSliceController(this.store);
    this.endpointSlices.start();
    for (const name of SYSTEM_NAMESPACES) {
      this.store.apply({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name },
        status: { phase: "Active" },
      });
    }
    this.store.watch((ev) => {
      const k = ev.object.kind;
      if (k !== "Pod" && k !== "Node") return;
      const owner = ev.object.metadata.annotations?.["flatnet.dev/deployment"];
      if (k === "Node") this.dirtyDeployments.add("*");
      else if (owner) this.dirtyDeployments.add(`${ev.object.metadata.namespace}/${owner}`);
      this.requestControllers();
    });
  }

  /**
   * Apply objects as `kubectl apply` does, all or nothing: every object is admitted against
   * the state the earlier objects of the same call would leave, before any is stored.
   */
  apply(input: KObject[]): Array<{ key: string; action: "created" | "configured" | "unchanged" }> {
    // Deployments' Pods are created by the Deployment controller once the Deployment is stored.
    const sorted = [...input].sort((a, b) => rank(a.kind) - rank(b.kind));
    const pendingNamespaces = new Set(
      sorted.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name),
    );
    const trial = NodeCidrAllocator.fromJSON(this.nodeCidrs.toJSON());
    const trialServices = this.services.clone();
    const admitted: KObject[] = [];
    for (const obj of sorted) {
      if (obj.kind === "Cluster") continue;
      admitted.push(this.admit(stripStatus(obj), pendingNamespaces, trial, trialServices));
    }
    this.services = trialServices;
    // Admission passed for every object: commit.
    const results: Array<{ key: string; action: "created" | "configured" | "unchanged" }> = [];
    for (const obj of admitted) {
      const old = this.store.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
      if (obj.kind === "Node") this.nodeCidrs.allocate(obj.metadata.name, obj.spec?.podCIDR);
      const same = old && userView(old) === userView(obj);
      const stored = this.store.apply(obj);
      if (stored.kind === "Deployment") this.reconcileDeployment(stored);
      results.push({ key: objectKey(obj), action: !old ? "created" : same ? "unchanged" : "configured" });
    }
    this.schedule();
    return results;
  }

  private admit(
    obj: KObject,
    pendingNamespaces: Set<string>,
    trialCidrs: NodeCidrAllocator,
    trialServices: ServiceAllocations,
  ): KObject {
    const where = `${obj.kind} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ""}${obj.metadata.name}`;
    if (!CLUSTER_SCOPED.has(obj.kind)) {
      const ns = obj.metadata.namespace ?? "default";
      if (!this.store.get("Namespace", undefined, ns) && !pendingNamespaces.has(ns)) {
        throw new UserError(
          `${where}: namespace "${ns}" not found`,
          `create the Namespace first or include it in the applied files`,
        );
      }
      obj.metadata.namespace = ns;
    }
    const old = this.store.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
    if (obj.kind === "Node") {
      try {
        const cidr = trialCidrs.allocate(obj.metadata.name, obj.spec?.podCIDR ?? old?.spec?.podCIDR);
        obj.spec = { ...obj.spec, podCIDR: formatCidr(cidr), podCIDRs: [formatCidr(cidr)] };
      } catch (err) {
        throw new UserError(`${where}: spec.podCIDR: ${(err as Error).message}`);
      }
    }
    if (obj.kind === "Service") obj = trialServices.admit(obj, old);
    if (obj.kind === "Pod" && old) {
      // Pods are immutable but for metadata; a manifest without nodeName keeps the binding.
      const nextSpec = { ...obj.spec, nodeName: obj.spec?.nodeName ?? old.spec?.nodeName };
      if (JSON.stringify(nextSpec) !== JSON.stringify(old.spec)) {
        throw new UserError(
          `${where}: spec: Forbidden: pod updates may not change fields other than metadata`,
          `delete the pod and apply it again`,
        );
      }
      obj.spec = nextSpec;
    }
    return obj;
  }

  /** Delete as the API server does: bound Pods terminate gracefully on their node. */
  delete(refs: ObjectRef[]): Array<{ key: string; found: boolean }> {
    const out: Array<{ key: string; found: boolean }> = [];
    for (const ref of refs) {
      const obj = this.store.get(ref.kind, ref.namespace, ref.name);
      out.push({ key: keyOf(ref.kind, ref.namespace, ref.name), found: !!obj });
      if (!obj) continue;
      this.deleteObject(obj);
    }
    this.schedule();
    return out;
  }

  private deleteObject(obj: KObject): void {
    const { kind, metadata } = obj;
    if (kind === "Namespace") {
      for (const o of this.store.all()) if (o.metadata.namespace === metadata.name) this.deleteObject(o);
    }
    if (kind === "Deployment") {
      this.store.delete(kind, metadata.namespace, metadata.name);
      this.expansions.delete(`${metadata.namespace}/${metadata.name}`);
      for (const pod of this.ownedPods(obj)) this.deleteObject(pod);
      return;
    }
    if (kind === "Service") this.services.release(obj);
    if (kind === "Node") {
      this.nodeCidrs.release(metadata.name);
      for (const pod of this.store.list("Pod"))
        if (pod.spec?.nodeName === metadata.name)
          this.store.delete("Pod", pod.metadata.namespace, pod.metadata.name);
    }
    if (kind === "Pod" && obj.spec?.nodeName && this.store.get("Node", undefined, obj.spec.nodeName)) {
      if (!metadata.deletionTimestamp) {
        this.store.patchMetadata("Pod", metadata.namespace, metadata.name, {
          deletionTimestamp: new Date().toISOString(),
        });
      }
      return;
    }
    this.store.delete(kind, metadata.namespace, metadata.name);
  }

  /** The Deployment's Pods as stored (frozen, shared: look, do not change), by name. */
  private ownedPods(deployment: KObject): Array<Readonly<KObject>> {
    return byKey(this.ownedPodsUnordered(deployment));
  }

  private ownedPodsUnordered(deployment: KObject): Array<Readonly<KObject>> {
    const prefix = `${deployment.metadata.name}-`;
    const out: Array<Readonly<KObject>> = [];
    for (const p of this.store.scan("Pod", deployment.metadata.namespace)) {
      if (
        p.metadata.name.startsWith(prefix) &&
        p.metadata.annotations?.["flatnet.dev/deployment"] === deployment.metadata.name
      )
        out.push(p);
    }
    return out;
  }

  /**
   * The Pods a Deployment expands to (with the owner annotation), computed again only when
   * what the expansion reads changes: a pass per burst of pod updates would otherwise build
   * every replica anew.
   */
  private expansion(d: KObject): { pods: KObject[]; names: Set<string> } {
    const key = `${d.metadata.namespace}/${d.metadata.name}`;
    const sig = JSON.stringify([d.metadata.name, d.metadata.namespace, d.spec, d.status?.collisionCount]);
    const cached = this.expansions.get(key);
    if (cached?.sig === sig) return cached;
    const pods = (expandWorkloads([d] as never) as unknown as KObject[]).filter((o) => o.kind === "Pod");
    for (const pod of pods) {
      pod.metadata.annotations = { ...pod.metadata.annotations, "flatnet.dev/deployment": d.metadata.name };
    }
    const entry = { sig, pods, names: new Set(pods.map((p) => p.metadata.name)) };
    this.expansions.set(key, entry);
    return entry;
  }

  /**
   * Events only mark work; one pass a few milliseconds later reconciles the marked
   * Deployments and schedules, so a burst of 1,000 pod updates costs one pass, not 1,000.
   */
  private requestControllers(): void {
    if (this.controllersQueued) return;
    this.controllersQueued = true;
    setTimeout(() => {
      this.controllersQueued = false;
      const dirty = [...this.dirtyDeployments];
      this.dirtyDeployments.clear();
      const all = dirty.includes("*");
      for (const d of this.store.list("Deployment")) {
        if (all || dirty.includes(`${d.metadata.namespace}/${d.metadata.name}`)) this.reconcileDeployment(d);
      }
      this.schedule();
    }, 10);
  }

  /** Make the Deployment's Pods exactly its expansion (create missing, delete extra). */
  private reconcileDeployment(d: KObject): void {
    const { pods: want, names: wantNames } = this.expansion(d);
    const owned = this.ownedPodsUnordered(d);
    const extra = owned.filter((p) => !wantNames.has(p.metadata.name));
    for (const pod of byKey(extra)) this.deleteObject(pod);
    // Every wanted name among the owned pods: none is missing (the common pass, a pod update).
    let changed = extra.length > 0;
    if (owned.length - extra.length < want.length) {
      for (const pod of want) {
        if (!this.store.peek("Pod", pod.metadata.namespace, pod.metadata.name)) {
          this.store.apply(stripStatus(pod));
          changed = true;
        }
      }
    }
    // Status as the Deployment controller reports it (READY / UP-TO-DATE / AVAILABLE).
    const pods = (changed ? this.ownedPodsUnordered(d) : owned).filter(
      (p) => !p.metadata.deletionTimestamp && wantNames.has(p.metadata.name),
    );
    const ready = pods.filter((p) =>
      (p.status?.conditions ?? []).some(
        (c: { type: string; status: string }) => c.type === "Ready" && c.status === "True",
      ),
    ).length;
    this.store.updateStatus("Deployment", d.metadata.namespace, d.metadata.name, {
      observedGeneration: d.metadata.generation,
      replicas: pods.length,
      updatedReplicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
    });
  }

  /** Bind unbound Pods to nodes with room; the others say why they wait. */
  schedule(): void {
    if (this.scheduling) return;
    this.scheduling = true;
    try {
      const nodes = byKey([...this.store.scan("Node")]);
      const nodeNames = new Set(nodes.map((n) => n.metadata.name));
      // Bound pods are only counted; the unbound ones are placed in name order.
      const assignedTo = new Map<string, number>();
      const unbound: Array<Readonly<KObject>> = [];
      for (const p of this.store.scan("Pod")) {
        const node: string | undefined = p.spec?.nodeName;
        if (node) assignedTo.set(node, (assignedTo.get(node) ?? 0) + 1);
        if (node && nodeNames.has(node)) continue;
        if (p.metadata.deletionTimestamp) continue;
        unbound.push(p);
      }
      const pods = byKey(unbound);
      const capacity = nodes.map((n) => {
        const assigned = assignedTo.get(n.metadata.name) ?? 0;
        const size = n.spec?.podCIDR ? Number(cidrSize(parseCidr(n.spec.podCIDR))) : 0;
        // network, gateway and broadcast addresses are not for pods (host-local semantics)
        return { name: n.metadata.name, free: Math.max(0, size - 3 - assigned), pods: assigned, ready: true };
      });
      for (const pod of pods) {
        const r = schedulePod(pod.spec?.nodeName, capacity);
        if ("node" in r) {
          const c = capacity.find((x) => x.name === r.node)!;
          c.free--;
          c.pods++;
          this.store.apply({ ...pod, spec: { ...pod.spec, nodeName: r.node } });
        } else {
          this.store.updateStatus("Pod", pod.metadata.namespace, pod.metadata.name, {
            phase: "Pending",
            conditions: [
              { type: "PodScheduled", status: "False", reason: "Unschedulable", message: r.pending },
            ],
          });
        }
      }
    } finally {
      this.scheduling = false;
    }
  }
}
