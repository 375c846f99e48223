/**
 * Ingress status, as controllers publish it: `status.loadBalancer.ingress` lists where the
 * Ingress is served. flatnet's controller is reached through the NodePort Service on every
 * node, so that is every Node's InternalIP (as ingress-nginx on kind publishes its node).
 * Written for flatnet's Ingresses only, and only when it differs (both controller pods
 * publish; the second write is a no-op). A separate loop from the proxy's configuration, so
 * a slow or failing status write never delays routing.
 */
import type { ClusterSource } from "../cluster/store.js";
import type { KObject } from "../cluster/types.js";
import { BoundedRunner } from "../util/bounded-runner.js";
import { errorMessage } from "../util/errors.js";
import { classIndex, FLATNET_CONTROLLER, isOurIngress } from "./class.js";

export interface StatusUpdate {
  namespace: string;
  name: string;
  status: { loadBalancer: { ingress: Array<{ ip: string }> } };
}

export type StatusWriter = (updates: StatusUpdate[]) => Promise<void>;

/** Every Node's InternalIP, sorted. */
export function nodeAddresses(nodes: readonly KObject[]): string[] {
  const ips = new Set<string>();
  for (const n of nodes) {
    const addrs = (n.status?.addresses ?? []) as Array<{ type: string; address: string }>;
    for (const a of addrs) if (a.type === "InternalIP" && a.address) ips.add(a.address);
  }
  return [...ips].sort();
}

/** The status updates that flatnet's Ingresses need (those already right are left out). */
export function statusUpdates(
  ingresses: readonly KObject[],
  classes: readonly KObject[],
  nodes: readonly KObject[],
  controller = FLATNET_CONTROLLER,
): StatusUpdate[] {
  const idx = classIndex(classes, controller);
  const ingress = nodeAddresses(nodes).map((ip) => ({ ip }));
  const out: StatusUpdate[] = [];
  for (const ing of ingresses) {
    if (ing.metadata.deletionTimestamp || !isOurIngress(ing, idx)) continue;
    const status = { ...(ing.status ?? {}), loadBalancer: { ingress } };
    if (JSON.stringify(ing.status?.loadBalancer?.ingress ?? []) === JSON.stringify(ingress)) continue;
    out.push({ namespace: ing.metadata.namespace ?? "default", name: ing.metadata.name, status });
  }
  return out;
}

const KINDS = new Set(["Ingress", "IngressClass", "Node"]);

/** Keeps flatnet's Ingresses' status current through `write`. */
export class StatusPublisher {
  private readonly runner: BoundedRunner;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly source: ClusterSource,
    private readonly write: StatusWriter,
    log: (msg: string) => void = () => {},
  ) {
    this.runner = new BoundedRunner(
      () => this.publish(),
      100,
      2000,
      (err) => log(`publishing Ingress status failed (retrying): ${errorMessage(err)}`),
    );
  }

  start(): void {
    if (this.unwatch) return;
    this.unwatch = this.source.watch((ev) => {
      if (KINDS.has(ev.object.kind)) this.runner.request();
    });
    this.runner.request();
  }

  stop(): void {
    this.unwatch?.();
    this.runner.stop();
  }

  settled(): Promise<void> {
    return this.runner.settled();
  }

  private async publish(): Promise<void> {
    const updates = statusUpdates(
      this.source.list("Ingress"),
      this.source.list("IngressClass"),
      this.source.list("Node"),
    );
    if (updates.length) await this.write(updates);
  }
}
