/**
 * What the lab daemon answers on its socket: the CLI's verbs mapped onto the control plane.
 * Objects arrive already loaded, validated and defaulted by the CLI (src/api); the control
 * plane's admission decides the rest, all or nothing.
 */
import type { ObjectRef } from "../cluster/control-plane.js";
import { type KObject, objectKey } from "../cluster/types.js";
import { INGRESS_NAMESPACE } from "../ingress/addon.js";
import { netnsPath } from "../kernel/netns.js";
import { UserError } from "../util/errors.js";
import type { LabDaemon } from "./daemon.js";
import { type Handler, streamResult } from "./rpc.js";
import type { ProbeCheck } from "./workload/probe.js";

export interface PodSummary {
  namespace: string;
  name: string;
  node?: string;
  phase: string;
  podIP?: string;
  ready: boolean;
  reason?: string;
}

export function podSummary(p: Readonly<KObject>): PodSummary {
  const conds = (p.status?.conditions ?? []) as Array<{ type: string; status: string; message?: string }>;
  const unsched = conds.find((c) => c.type === "PodScheduled" && c.status === "False");
  return {
    namespace: p.metadata.namespace ?? "default",
    name: p.metadata.name,
    node: p.spec?.nodeName,
    phase: p.metadata.deletionTimestamp ? "Terminating" : (p.status?.phase ?? "Pending"),
    podIP: p.status?.podIP,
    ready: conds.some((c) => c.type === "Ready" && c.status === "True"),
    reason: unsched?.message ?? p.status?.message,
  };
}

/** Objects in Store.list's order (by objectKey). */
function byKey(objects: Iterable<Readonly<KObject>>): Array<Readonly<KObject>> {
  return [...objects]
    .map((o): [string, Readonly<KObject>] => [objectKey(o), o])
    .sort((x, y) => x[0].localeCompare(y[0]))
    .map(([, o]) => o);
}

export function labApi(lab: LabDaemon): Record<string, Handler> {
  const store = lab.cp.store;
  return {
    info: () => ({
      name: lab.spec.name,
      backend: lab.spec.backend,
      externalIP: lab.externalIP,
      dnsDomain: lab.spec.dnsDomain,
      nodes: [...lab.agents.keys()],
      pid: process.pid,
    }),
    // Polled by `up` while 1,000 pods come up: read the stored objects, copy none.
    status: () => ({
      nodes: byKey(store.scan("Node")).map((n) => ({
        name: n.metadata.name,
        ready: n.status?.conditions?.[0]?.status === "True",
      })),
      pods: byKey(store.scan("Pod")).map(podSummary),
    }),
    apply: (p: { objects: KObject[] }) => lab.cp.apply(p.objects),
    delete: (p: { refs: ObjectRef[] }) => lab.cp.delete(p.refs),
    get: (p: { kind: string; namespace?: string; name?: string }) => {
      if (p.name) {
        const o = store.get(p.kind, p.namespace, p.name);
        if (!o)
          throw new UserError(
            `${p.kind} "${p.name}" not found${p.namespace ? ` in namespace "${p.namespace}"` : ""}`,
          );
        return [o];
      }
      return store.list(p.kind, p.namespace);
    },
    probe: async (p: { ports: number[]; protocols: Array<"TCP" | "UDP">; timeoutMs?: number }) => {
      // Workload pods only: the cluster add-ons (DNS in kube-system, the ingress controller in
      // flatnet-ingress) are not part of the matrix, as `analyze` of the same manifests does
      // not know them.
      const addons = new Set(["kube-system", INGRESS_NAMESPACE]);
      const pods = store
        .list("Pod")
        .filter(
          (x) => x.status?.podIP && !x.metadata.deletionTimestamp && !addons.has(x.metadata.namespace ?? ""),
        );
      const checks: ProbeCheck[] = [];
      for (const port of p.ports)
        for (const protocol of p.protocols)
          for (const from of pods)
            for (const to of pods)
              checks.push({
                fromNetnsPath: netnsPath(lab.names.podNetns(from.metadata.namespace!, from.metadata.name)),
                toIp: to.status.podIP,
                port,
                protocol,
                timeoutMs: p.timeoutMs ?? 1000,
              });
      const results = await lab.workloadHost().probe(checks);
      return { pods: pods.map((x) => `${x.metadata.namespace}/${x.metadata.name}`), results };
    },
    // A stream: every object of the kinds as ADDED, then SYNCED, then live events (the
    // cluster DNS pods mirror Services, EndpointSlices, Pods and Namespaces with it).
    watch: (p: { kinds: string[] }) => {
      const kinds = new Set(p.kinds ?? []);
      return streamResult((emit) => {
        const unwatch = store.watch((ev) => {
          if (kinds.has(ev.object.kind)) emit(ev);
        });
        for (const kind of kinds) for (const object of store.list(kind)) emit({ type: "ADDED", object });
        emit({ type: "SYNCED" });
        return unwatch;
      });
    },
    // The ingress controller pods publish where their Ingresses are served (the status
    // subresource: spec and generation untouched). Ingress status only.
    ingressStatus: (p: { items: Array<{ namespace: string; name: string; status: unknown }> }) => {
      let written = 0;
      for (const it of p.items ?? [])
        if (store.updateStatus("Ingress", it.namespace, it.name, it.status)) written++;
      return { written };
    },
    shutdown: () => {
      setTimeout(() => process.kill(process.pid, "SIGTERM"), 10);
      return { stopping: true };
    },
  };
}
