/**
 * The reverse proxy's request path: route (routes.ts) -> backend endpoints (config.ts) ->
 * one keep-alive connection from the endpoint's pool (upstream.ts) -> stream both bodies.
 *
 * - The configuration is one immutable object swapped by `setConfig`; a request reads it once
 *   at arrival, so a change never affects a request under way and never touches a socket.
 * - Load balancing: round robin over the backend's ready endpoints, from a random start;
 *   an endpoint whose connect failed is passed over for `failureCooldownMs` (passive health,
 *   for pods that died before their EndpointSlice says so).
 * - A failed connect (refused, unreachable, timeout) is retried on the next endpoint, up to
 *   `maxAttempts`; the request body is only streamed once a connection stands, so nothing
 *   was sent. A keep-alive socket the server closed under a body-less idempotent request is
 *   retried too (the request cannot have been processed twice in a harmful way).
 * - Errors: 404 no rule, 503 no endpoints (with the reason), 502 the backend failed, 504 it
 *   timed out, 413 body over the limit; after the response started, the client connection
 *   is cut (the only honest signal left).
 */
import http from "node:http";
import type { ResolvedBackend } from "./backends.js";
import { emptyConfig, type ProxyConfig } from "./config.js";
import { Exchange } from "./exchange.js";
import { clientAddress, type ForwardInfo, requestHead } from "./headers.js";
import { matchRoute } from "./routes.js";
import { DEFAULT_POOL, type PoolOptions, UpstreamPool } from "./upstream.js";

export interface ProxyOptions {
  /** Largest request body accepted (413 above). */
  maxBodyBytes: number;
  connectTimeoutMs: number;
  /** Endpoint inactivity (waiting for the response or its next bytes) before 504 / cut. */
  upstreamTimeoutMs: number;
  /** Endpoints tried for one request when connects fail. */
  maxAttempts: number;
  /** An endpoint whose connect failed is passed over this long (unless all are down). */
  failureCooldownMs: number;
  pool: PoolOptions;
}

export const DEFAULT_PROXY: ProxyOptions = {
  maxBodyBytes: 16 * 1024 * 1024,
  connectTimeoutMs: 5000,
  upstreamTimeoutMs: 60_000,
  maxAttempts: 3,
  failureCooldownMs: 2000,
  pool: DEFAULT_POOL,
};

export interface ProxyStats {
  requests: number;
  upgrades: number;
  retries: number;
  byStatus: Record<string, number>;
}

export class IngressProxy {
  private cfg: ProxyConfig = emptyConfig();
  private readonly rr = new Map<string, number>();
  readonly pool: UpstreamPool;
  readonly opts: ProxyOptions;
  readonly stats: ProxyStats = { requests: 0, upgrades: 0, retries: 0, byStatus: {} };

  constructor(opts: Partial<ProxyOptions> = {}) {
    this.opts = { ...DEFAULT_PROXY, ...opts };
    this.pool = new UpstreamPool({ ...this.opts.pool, connectTimeoutMs: this.opts.connectTimeoutMs });
  }

  get config(): ProxyConfig {
    return this.cfg;
  }

  /** Swap in a new configuration; pools of endpoints no longer used retire when idle. */
  setConfig(cfg: ProxyConfig): void {
    this.cfg = cfg;
    const eps = new Set<string>();
    for (const b of cfg.backends.values()) for (const e of b.endpoints) eps.add(e);
    this.pool.retain(eps);
  }

  /**
   * The next endpoint of a backend in round-robin order, skipping `tried` and, while any
   * other is left, endpoints whose last connect failed within the cooldown (passive health).
   */
  pickEndpoint(b: ResolvedBackend, tried?: readonly string[]): string | undefined {
    const n = b.endpoints.length;
    let i = this.rr.get(b.key);
    if (i === undefined) i = Math.floor(Math.random() * n);
    const now = Date.now();
    let fallback = -1;
    for (let k = 0; k < n; k++) {
      const ep = b.endpoints[(i + k) % n]!;
      if (tried?.includes(ep)) continue;
      if (this.pool.isDown(ep, now)) {
        if (fallback < 0) fallback = k;
        continue;
      }
      this.rr.set(b.key, (i + k + 1) % n);
      return ep;
    }
    if (fallback < 0) return undefined;
    this.rr.set(b.key, (i + fallback + 1) % n);
    return b.endpoints[(i + fallback) % n];
  }

  /** Passive health: pass over an endpoint whose connect just failed. */
  markDown(endpoint: string): void {
    this.pool.markDown(endpoint, this.opts.failureCooldownMs);
  }

  count(status: number): void {
    const k = String(status);
    this.stats.byStatus[k] = (this.stats.byStatus[k] ?? 0) + 1;
  }

  /** Route a request (its Host and target) to its backend, or the error status and reason. */
  route(
    host: string | undefined,
    target: string,
  ): { backend: ResolvedBackend } | { status: number; reason: string } {
    const m = matchRoute(this.cfg.routes, host, target);
    if (!m) return { status: 404, reason: "no Ingress rule matches this host and path" };
    const b = this.cfg.backends.get(m.backend.key);
    if (!b || b.endpoints.length === 0)
      return { status: 503, reason: b?.problem ?? `backend ${m.backend.key} has no endpoints` };
    return { backend: b };
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse, proto: ForwardInfo["proto"]): void {
    this.stats.requests++;
    const sock = req.socket;
    const head = requestHead(req.rawHeaders, {
      proto,
      port: sock.localPort ?? 0,
      clientIp: clientAddress(sock.remoteAddress),
    });
    const r = this.route(head.host, req.url ?? "/");
    if ("status" in r) {
      this.fail(res, r.status, r.reason);
      return;
    }
    const cl = head.contentLength;
    if (cl !== undefined && Number(cl) > this.opts.maxBodyBytes) {
      res.shouldKeepAlive = false;
      this.fail(res, 413, `request body over ${this.opts.maxBodyBytes} bytes`);
      return;
    }
    const hasBody = cl !== undefined ? cl !== "0" : head.transferEncoding !== undefined;
    new Exchange(this, req, res, r.backend, head.headers, hasBody, cl === undefined).attempt();
  }

  fail(res: http.ServerResponse, status: number, reason: string): void {
    this.count(status);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = `${status} ${http.STATUS_CODES[status] ?? ""}: ${reason}\n`;
    res.writeHead(status, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "x-flatnet-ingress": "error",
    });
    res.end(body);
  }
}
