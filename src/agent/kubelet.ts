/**
 * kubelet-lite: makes the pods bound to this node real. For each pod: a network namespace,
 * CNI ADD through the real plugin exactly as a container runtime does it, the pod's
 * resolv.conf/hosts, then its containers in the shared workload host; status goes back to
 * the store (podIP, phase, readiness). Deletion runs the same steps backwards and only then
 * removes the object, so EndpointSlices see the pod terminating first, as in Kubernetes.
 *
 * Events only enqueue pod keys; one keyed queue with bounded concurrency reconciles each pod
 * from the store's latest state against what this node has set up.
 */
import type { Store } from "../cluster/store.js";
import type { KObject } from "../cluster/types.js";
import { createNetns, deleteNetns, netnsPath } from "../kernel/netns.js";
import { type CniContext, cniAdd, cniDel, type NetConfList } from "../lab/cni-runtime.js";
import type { LabNames } from "../lab/names.js";
import type {
  ContainerStateChangedEvent,
  ReadyEvent,
  WorkloadPodSpec,
  WorkloadPodStatus,
} from "../lab/workload/types.js";
import { errorMessage } from "../util/errors.js";
import { KeyedQueue } from "../util/keyed-queue.js";
import {
  type DnsSettings,
  removePodFiles,
  renderHosts,
  renderResolvConf,
  writePodFiles,
} from "./pod-files.js";
import { creatingStatus, runningStatus } from "./pod-status.js";

/** What the kubelet needs from the workload host (in-process or over IPC). */
export interface WorkloadRuntime {
  addPod(spec: WorkloadPodSpec): Promise<unknown>;
  removePod(uid: string): Promise<unknown>;
  on(event: "ready", cb: (e: ReadyEvent) => void): unknown;
  on(event: "containerStateChanged", cb: (e: ContainerStateChangedEvent) => void): unknown;
}

export interface KubeletOptions {
  store: Store;
  nodeName: string;
  nodeIP: string;
  nodeNetns: string;
  names: LabNames;
  cniList: () => NetConfList;
  cniContext: CniContext;
  workloads: WorkloadRuntime;
  dns: DnsSettings;
  logsDir: (namespace: string, pod: string) => string;
  log: (msg: string) => void;
  concurrency?: number;
}

interface LocalPod {
  uid: string;
  namespace: string;
  name: string;
  netns: string;
  podIPs: string[];
  cniResult: unknown;
  status?: WorkloadPodStatus;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

export class Kubelet {
  private local = new Map<string, LocalPod>();
  private queue: KeyedQueue;
  private unwatch?: () => void;

  constructor(private readonly o: KubeletOptions) {
    this.queue = new KeyedQueue(
      (k) => this.sync(k),
      o.concurrency ?? 4,
      (k, err) => o.log(`pod ${k}: ${errorMessage(err)} (will retry)`),
    );
    o.workloads.on("ready", (e) => this.onWorkloadStatus(e.uid, e.status));
    o.workloads.on("containerStateChanged", (e) => this.onWorkloadStatus(e.uid, e.status));
  }

  start(): void {
    this.unwatch = this.o.store.watch((ev) => {
      if (ev.object.kind !== "Pod") return;
      const pod = ev.object;
      const mine = pod.spec?.nodeName === this.o.nodeName;
      const k = key(pod.metadata.namespace ?? "default", pod.metadata.name);
      if (mine || this.local.has(k)) this.queue.add(k);
    });
    // In the store's key order (as list gives it), without copying every pod of the cluster.
    const mine: string[] = [];
    for (const pod of this.o.store.scan("Pod")) {
      if (pod.spec?.nodeName === this.o.nodeName) mine.push(key(pod.metadata.namespace!, pod.metadata.name));
    }
    for (const k of mine.sort((a, b) => `Pod/${a}`.localeCompare(`Pod/${b}`))) this.queue.add(k);
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Tear down every pod of this node (node removal, lab shutdown). */
  async stop(): Promise<void> {
    this.unwatch?.();
    this.queue.stop();
    for (const pod of [...this.local.values()]) await this.teardown(pod);
  }

  private async sync(k: string): Promise<void> {
    const [namespace, name] = k.split("/") as [string, string];
    const pod = this.o.store.get("Pod", namespace, name);
    const have = this.local.get(k);
    const wanted = pod && pod.spec?.nodeName === this.o.nodeName && !pod.metadata.deletionTimestamp;
    if (have && (!wanted || have.uid !== pod.metadata.uid)) await this.teardown(have);
    if (pod?.metadata.deletionTimestamp && pod.spec?.nodeName === this.o.nodeName) {
      // Graceful deletion done on this node: now the object can go.
      this.o.store.delete("Pod", namespace, name);
      return;
    }
    if (wanted && !this.local.has(k)) await this.setup(pod);
  }

  private async setup(pod: KObject): Promise<void> {
    const { namespace = "default", name, uid = "" } = pod.metadata;
    const netns = this.o.names.podNetns(namespace, name);
    this.o.store.updateStatus("Pod", namespace, name, creatingStatus(this.o.nodeIP, pod.status));
    let podIPs: string[] = [];
    let cniResult: unknown;
    try {
      await createNetns(netns);
      cniResult = await cniAdd(this.o.cniList(), this.attachment(pod, netns), this.o.cniContext);
      podIPs = ((cniResult as { ips?: Array<{ address: string }> }).ips ?? []).map(
        (i) => i.address.split("/")[0]!,
      );
      if (podIPs.length === 0) throw new Error("the CNI plugin returned no IP address");
      await writePodFiles(netns, {
        resolvConf: renderResolvConf({ namespace, ...pod.spec }, this.o.dns),
        hosts: renderHosts(name, podIPs),
        hostname: name,
      });
    } catch (err) {
      // Nothing half-made stays behind: CNI already rolled back its part.
      removePodFiles(netns);
      await deleteNetns(netns).catch(() => undefined);
      this.o.store.updateStatus(
        "Pod",
        namespace,
        name,
        creatingStatus(this.o.nodeIP, pod.status, errorMessage(err)),
      );
      throw err;
    }
    const local: LocalPod = { uid, namespace, name, netns, podIPs, cniResult };
    this.local.set(key(namespace, name), local);
    const spec: WorkloadPodSpec = {
      uid,
      namespace,
      name,
      netnsName: netns,
      netnsPath: netnsPath(netns),
      nodeNetnsPath: netnsPath(this.o.nodeNetns),
      podIP: podIPs[0]!,
      podIPs,
      nodeName: this.o.nodeName,
      containers: pod.spec?.containers ?? [],
      restartPolicy: pod.spec?.restartPolicy,
      terminationGracePeriodSeconds: pod.spec?.terminationGracePeriodSeconds,
      logsDir: this.o.logsDir(namespace, name),
    };
    const status = await this.o.workloads.addPod(spec);
    if (status && typeof status === "object" && "phase" in status) local.status = status as WorkloadPodStatus;
    this.publish(local);
  }

  private attachment(pod: KObject, netns: string) {
    const { namespace = "default", name, uid = "" } = pod.metadata;
    return {
      containerId: uid,
      netnsPath: netnsPath(netns),
      ifname: "eth0",
      args: {
        IgnoreUnknown: "1",
        K8S_POD_NAMESPACE: namespace,
        K8S_POD_NAME: name,
        K8S_POD_INFRA_CONTAINER_ID: uid,
        K8S_POD_UID: uid,
      },
    };
  }

  private async teardown(local: LocalPod): Promise<void> {
    await this.o.workloads
      .removePod(local.uid)
      .catch((e) => this.o.log(`pod ${local.name}: ${errorMessage(e)}`));
    await cniDel(
      this.o.cniList(),
      { containerId: local.uid, netnsPath: netnsPath(local.netns), ifname: "eth0" },
      this.o.cniContext,
      local.cniResult,
    ).catch((e) => this.o.log(`pod ${local.namespace}/${local.name}: CNI DEL: ${errorMessage(e)}`));
    removePodFiles(local.netns);
    await deleteNetns(local.netns);
    this.local.delete(key(local.namespace, local.name));
  }

  private onWorkloadStatus(uid: string, status: WorkloadPodStatus): void {
    for (const local of this.local.values()) {
      if (local.uid !== uid) continue;
      local.status = status;
      this.publish(local);
    }
  }

  private publish(local: LocalPod): void {
    const current = this.o.store.peek("Pod", local.namespace, local.name);
    if (!current || current.metadata.uid !== local.uid || current.metadata.deletionTimestamp) return;
    const s = local.status;
    this.o.store.updateStatus(
      "Pod",
      local.namespace,
      local.name,
      runningStatus({
        hostIP: this.o.nodeIP,
        podIPs: local.podIPs,
        ready: s?.ready ?? false,
        containers: s?.containerStatuses ?? [],
        phase: s?.phase,
        prev: current.status,
      }),
    );
  }
}
