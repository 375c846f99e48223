/**
 * The pod-network loop of a node agent: whenever a Node appears, goes, or changes its
 * podCIDR/address, recompute this node's desired pod network with the backend (pure) and
 * reconcile the node's namespace to it (applier). Events only mark it dirty.
 */
import { getBackend } from "../backends/index.js";
import type { Store } from "../cluster/store.js";
import type { KObject } from "../cluster/types.js";
import { IpNodeKernel, PodNetApplier } from "../kernel/podnet-applier.js";
import type { NodeNetInfo } from "../model/podnet.js";
import { BoundedRunner } from "../util/bounded-runner.js";
import { errorMessage } from "../util/errors.js";

export interface PodNetworkSyncOptions {
  store: Store;
  node: string;
  netns: string;
  backend: string;
  underlayMTU: number;
  underlaySubnet?: string;
  log: (msg: string) => void;
}

/** A Node as the backends see it; undefined until it has a podCIDR and an InternalIP. */
export function nodeNetInfo(node: KObject, underlaySubnet?: string): NodeNetInfo | undefined {
  const podCIDR: string | undefined = node.spec?.podCIDR;
  const ip = (node.status?.addresses as Array<{ type: string; address: string }> | undefined)?.find(
    (a) => a.type === "InternalIP",
  )?.address;
  if (!podCIDR || !ip) return undefined;
  const info: NodeNetInfo = { name: node.metadata.name, nodeIP: ip, podCIDR };
  if (underlaySubnet) info.underlaySubnet = underlaySubnet;
  return info;
}

export class PodNetworkSync {
  private runner: BoundedRunner;
  private unwatch?: () => void;
  private readonly backend;
  private readonly applier: PodNetApplier;

  constructor(private readonly o: PodNetworkSyncOptions) {
    this.backend = getBackend(o.backend);
    this.applier = new PodNetApplier(new IpNodeKernel(o.netns));
    this.runner = new BoundedRunner(
      () => this.sync(),
      100,
      1000,
      (err) => o.log(`pod network sync failed: ${errorMessage(err)}`),
    );
  }

  podMTU(): number {
    return this.o.underlayMTU - this.backend.overhead;
  }

  async start(): Promise<void> {
    // Only what backends read (podCIDR, InternalIP) matters: Ready flips and other status
    // churn of 20 nodes would otherwise cost every node 20 needless syncs at start.
    const seen = new Map<string, string>();
    this.unwatch = this.o.store.watch((ev) => {
      if (ev.object.kind !== "Node") return;
      const name = ev.object.metadata.name;
      const sig = ev.type === "DELETED" ? "" : JSON.stringify(nodeNetInfo(ev.object) ?? null);
      if (seen.get(name) === sig) return;
      seen.set(name, sig);
      this.runner.request();
    });
    // Through the runner, so the first sync never overlaps one triggered by an event.
    this.runner.request();
    await this.runner.settled();
  }

  /** Wait until the latest requested sync has run. */
  settled(): Promise<void> {
    return this.runner.settled();
  }

  stop(): void {
    this.unwatch?.();
    this.runner.stop();
  }

  private async sync(): Promise<void> {
    const nodes = this.o.store
      .list("Node")
      .map((n) => nodeNetInfo(n, this.o.underlaySubnet))
      .filter((n): n is NodeNetInfo => !!n);
    const self = nodes.find((n) => n.name === this.o.node);
    if (!self) return;
    const desired = this.backend.desired(self, nodes, { underlayMTU: this.o.underlayMTU });
    const report = await this.applier.apply(desired);
    if (report.changed) this.o.log(`pod network: ${report.commands.length} changes`);
  }
}
