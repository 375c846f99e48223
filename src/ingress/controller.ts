/**
 * The ingress controller loop: watch the cluster (the lab daemon's stream in the add-on pods,
 * the in-process store in tests), and on any change of an Ingress, IngressClass, Service,
 * EndpointSlice or Secret mark the configuration dirty; one bounded-frequency run (at most
 * every `minIntervalMs`) recompiles the whole configuration (config.ts, cheap: Secrets are
 * cached) and swaps it into the proxy. Problems (conflicts, unusable Secrets) are logged
 * when they appear and when they clear, and kept for the status endpoint.
 */
import type { ClusterSource } from "../cluster/store.js";
import { BoundedRunner } from "../util/bounded-runner.js";
import { errorMessage } from "../util/errors.js";
import { CertCache } from "./certs.js";
import { FLATNET_CONTROLLER } from "./class.js";
import { compileConfig } from "./config.js";
import type { IngressProxy } from "./proxy.js";

export const WATCHED_KINDS = ["Ingress", "IngressClass", "Service", "EndpointSlice", "Secret"] as const;
const WATCHED = new Set<string>(WATCHED_KINDS);

export interface ControllerOptions {
  minIntervalMs?: number;
  controller?: string;
  log?: (msg: string) => void;
}

export interface ControllerStatus {
  synced: boolean;
  generation: number;
  ingresses: string[];
  problems: string[];
  backends: Record<string, { endpoints: string[]; problem?: string }>;
}

export class IngressController {
  private readonly certs = new CertCache();
  private readonly runner: BoundedRunner;
  private unwatch: (() => void) | undefined;
  private problems = new Set<string>();
  private generation = 0;
  private readonly log: (msg: string) => void;

  constructor(
    private readonly source: ClusterSource,
    private readonly proxy: IngressProxy,
    private readonly opts: ControllerOptions = {},
  ) {
    this.log = opts.log ?? (() => {});
    this.runner = new BoundedRunner(
      async () => this.sync(),
      opts.minIntervalMs ?? 10,
      1000,
      (err) => this.log(`sync failed (retrying): ${errorMessage(err)}`),
    );
  }

  /** Subscribe, then compile from the full list (never before it). */
  start(): void {
    if (this.unwatch) return;
    this.unwatch = this.source.watch((ev) => {
      if (WATCHED.has(ev.object.kind)) this.runner.request();
    });
    this.sync();
  }

  stop(): void {
    this.unwatch?.();
    this.runner.stop();
  }

  /** Resolves once every change seen so far is in the proxy. */
  settled(): Promise<void> {
    return this.runner.settled();
  }

  get synced(): boolean {
    return this.generation > 0;
  }

  status(): ControllerStatus {
    const cfg = this.proxy.config;
    const backends: ControllerStatus["backends"] = {};
    for (const [k, b] of cfg.backends)
      backends[k] = { endpoints: b.endpoints, ...(b.problem ? { problem: b.problem } : {}) };
    return {
      synced: this.synced,
      generation: this.generation,
      ingresses: cfg.ingresses,
      problems: [...this.problems],
      backends,
    };
  }

  private sync(): void {
    const cfg = compileConfig(
      {
        ingresses: this.source.list("Ingress"),
        ingressClasses: this.source.list("IngressClass"),
        services: this.source.list("Service"),
        endpointSlices: this.source.list("EndpointSlice"),
        secrets: this.source.list("Secret"),
      },
      this.certs,
      this.opts.controller ?? FLATNET_CONTROLLER,
    );
    this.proxy.setConfig(cfg);
    this.generation++;
    const now = new Set(cfg.problems);
    for (const p of now) if (!this.problems.has(p)) this.log(`problem: ${p}`);
    for (const p of this.problems) if (!now.has(p)) this.log(`resolved: ${p}`);
    this.problems = now;
  }
}
