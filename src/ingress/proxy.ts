/**
 * The reverse proxy's request path: route (routes.ts) -> backend endpoints (config.ts) ->
 * one keep-alive connection from the endpoint's pool (upstream.ts) -> stream both bodies.
 *
 * - The configuration is one immutable object swapped by `setConfig`; a request reads it once
 *   at arrival, so a change never affects a request under way and never touches a socket.
 * - Load balancing: round robin over the backend's ready endpoints, from a random start.
 * - A failed connect (refused, unreachable, timeout) is retried on the next endpoint, up to
 *   `maxAttempts`; the request body is only streamed once a connection stands, so nothing
 *   was sent. A keep-alive socket the server closed under a body-less idempotent request is
 *   retried too (the request cannot have been processed twice in a harmful way).
 * - Errors: 404 no rule, 503 no endpoints (with the reason), 502 the backend failed, 504 it
 *   timed out, 413 body over the limit; after the response started, the client connection
 *   is cut (the only honest signal left).
 */
import http from "node:http";
import type { Socket } from "node:net";
import type { ResolvedBackend } from "./backends.js";
import { emptyConfig, type ProxyConfig } from "./config.js";
import { clientAddress, type ForwardInfo, originForm, requestHeaders, responseHeaders } from "./headers.js";
import { matchRoute } from "./routes.js";
import { DEFAULT_POOL, type PoolOptions, type Upstream, UpstreamPool } from "./upstream.js";

export interface ProxyOptions {
  /** Largest request body accepted (413 above). */
  maxBodyBytes: number;
  connectTimeoutMs: number;
  /** Endpoint inactivity (waiting for the response or its next bytes) before 504 / cut. */
  upstreamTimeoutMs: number;
  /** Endpoints tried for one request when connects fail. */
  maxAttempts: number;
  pool: PoolOptions;
}

export const DEFAULT_PROXY: ProxyOptions = {
  maxBodyBytes: 16 * 1024 * 1024,
  connectTimeoutMs: 5000,
  upstreamTimeoutMs: 60_000,
  maxAttempts: 3,
  pool: DEFAULT_POOL,
};

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
const CONNECT_ERRORS = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ETIMEDOUT",
  "ECONNECTTIMEOUT",
]);

export interface ProxyStats {
  requests: number;
  upgrades: number;
  retries: number;
  byStatus: Record<string, number>;
}

class ProxyError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export class IngressProxy {
  private cfg: ProxyConfig = emptyConfig();
  private readonly rr = new Map<string, number>();
  readonly pool: UpstreamPool;
  readonly opts: ProxyOptions;
  readonly stats: ProxyStats = { requests: 0, upgrades: 0, retries: 0, byStatus: {} };

  constructor(opts: Partial<ProxyOptions> = {}) {
    this.opts = { ...DEFAULT_PROXY, ...opts };
    this.pool = new UpstreamPool(this.opts.pool);
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

  /** The next endpoint of a backend in round-robin order, skipping `tried`. */
  pickEndpoint(b: ResolvedBackend, tried: ReadonlySet<string>): string | undefined {
    const n = b.endpoints.length;
    let i = this.rr.get(b.key);
    if (i === undefined) i = Math.floor(Math.random() * n);
    for (let k = 0; k < n; k++) {
      const ep = b.endpoints[(i + k) % n]!;
      if (!tried.has(ep)) {
        this.rr.set(b.key, (i + k + 1) % n);
        return ep;
      }
    }
    return undefined;
  }

  count(status: number): void {
    const k = String(status);
    this.stats.byStatus[k] = (this.stats.byStatus[k] ?? 0) + 1;
  }

  /** Route a request to its backend, or the error status and reason. */
  route(req: http.IncomingMessage): { backend: ResolvedBackend } | { status: number; reason: string } {
    const m = matchRoute(this.cfg.routes, req.headers.host, req.url ?? "/");
    if (!m) return { status: 404, reason: "no Ingress rule matches this host and path" };
    const b = this.cfg.backends.get(m.backend.key);
    if (!b || b.endpoints.length === 0)
      return { status: 503, reason: b?.problem ?? `backend ${m.backend.key} has no endpoints` };
    return { backend: b };
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse, info: Omit<ForwardInfo, "clientIp">): void {
    this.stats.requests++;
    const r = this.route(req);
    if ("status" in r) {
      this.fail(res, r.status, r.reason);
      return;
    }
    const cl = req.headers["content-length"];
    if (cl !== undefined && Number(cl) > this.opts.maxBodyBytes) {
      res.shouldKeepAlive = false;
      this.fail(res, 413, `request body over ${this.opts.maxBodyBytes} bytes`);
      return;
    }
    const hasBody = cl !== undefined ? cl !== "0" : req.headers["transfer-encoding"] !== undefined;
    const headers = requestHeaders(req.rawHeaders, {
      ...info,
      clientIp: clientAddress(req.socket.remoteAddress),
    });
    new Exchange(this, req, res, r.backend, headers, hasBody).attempt();
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

/** One client request's journey, possibly over several endpoints. */
class Exchange {
  private readonly tried = new Set<string>();
  private responded = false;
  private finished = false;
  private bodyStarted = false;
  private current: http.ClientRequest | undefined;
  private attempts = 0;

  constructor(
    private readonly proxy: IngressProxy,
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    private readonly backend: ResolvedBackend,
    private readonly headers: string[],
    private readonly hasBody: boolean,
  ) {
    res.once("close", () => {
      if (!res.writableFinished) this.current?.destroy();
      this.finished = true;
    });
    if (hasBody && req.headers["content-length"] === undefined) this.limitChunkedBody();
  }

  private limitChunkedBody(): void {
    let seen = 0;
    const max = this.proxy.opts.maxBodyBytes;
    this.req.on("data", (chunk: Buffer) => {
      seen += chunk.length;
      if (seen <= max || this.finished) return;
      this.finished = true;
      this.current?.destroy();
      this.res.shouldKeepAlive = false;
      this.proxy.fail(this.res, 413, `request body over ${max} bytes`);
      this.req.socket.destroySoon();
    });
  }

  attempt(): void {
    const endpoint = this.proxy.pickEndpoint(this.backend, this.tried);
    if (endpoint === undefined) {
      this.proxy.fail(this.res, 502, "no endpoint left to try");
      return;
    }
    this.tried.add(endpoint);
    this.attempts++;
    const u = this.proxy.pool.get(endpoint);
    this.proxy.pool.acquire(u);
    let up: http.ClientRequest;
    try {
      up = http.request({
        agent: u.agent,
        host: u.host,
        port: u.port,
        method: this.req.method,
        path: originForm(this.req.url ?? "/"),
        headers: this.headers,
        setHost: false,
      });
    } catch (err) {
      // Node refuses to send some targets or header values its parser let in.
      this.proxy.pool.release(u);
      this.proxy.fail(this.res, 400, `cannot forward this request: ${(err as Error).message}`);
      return;
    }
    this.current = up;
    let connected = false;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.proxy.pool.release(u);
    };
    up.once("close", release);
    up.on("socket", (s: Socket) => {
      const ready = () => {
        connected = true;
        up.setTimeout(this.proxy.opts.upstreamTimeoutMs, () =>
          up.destroy(new ProxyError("the endpoint did not answer in time", "ERESPONSETIMEOUT")),
        );
        if (this.hasBody) {
          this.bodyStarted = true;
          this.req.pipe(up);
        }
      };
      if (!s.connecting) {
        ready();
        return;
      }
      const timer = setTimeout(
        () => up.destroy(new ProxyError(`connect to ${endpoint} timed out`, "ECONNECTTIMEOUT")),
        this.proxy.opts.connectTimeoutMs,
      );
      s.once("connect", () => {
        clearTimeout(timer);
        ready();
      });
      s.once("close", () => clearTimeout(timer));
    });
    up.on("response", (ures) => this.respond(ures));
    up.on("error", (err: NodeJS.ErrnoException) => this.upstreamError(u, up, err, connected));
    if (!this.hasBody) up.end();
  }

  private respond(ures: http.IncomingMessage): void {
    if (this.finished) {
      ures.resume();
      return;
    }
    this.responded = true;
    const status = ures.statusCode ?? 502;
    this.proxy.count(status);
    this.res.writeHead(status, ures.statusMessage, responseHeaders(ures.rawHeaders));
    ures.pipe(this.res);
    ures.once("error", () => this.res.destroy());
    ures.once("aborted", () => this.res.destroy());
  }

  private upstreamError(
    u: Upstream,
    up: http.ClientRequest,
    err: NodeJS.ErrnoException,
    connected: boolean,
  ): void {
    if (this.finished || this.current !== up) return;
    if (this.responded) {
      this.res.destroy();
      return;
    }
    const code = err.code ?? "";
    const beforeSend = !connected && CONNECT_ERRORS.has(code);
    const staleKeepAlive =
      up.reusedSocket &&
      !this.bodyStarted &&
      !this.hasBody &&
      IDEMPOTENT.has(this.req.method ?? "") &&
      (code === "ECONNRESET" || code === "EPIPE");
    if ((beforeSend || staleKeepAlive) && this.attempts < this.proxy.opts.maxAttempts) {
      // A stale keep-alive socket: the same endpoint may be tried again on a fresh socket.
      if (staleKeepAlive) this.tried.delete(u.endpoint);
      if (this.tried.size < this.backend.endpoints.length) {
        this.proxy.stats.retries++;
        this.attempt();
        return;
      }
    }
    if (code === "ERESPONSETIMEOUT") this.proxy.fail(this.res, 504, `${u.endpoint}: ${err.message}`);
    else this.proxy.fail(this.res, 502, `${u.endpoint}: ${err.message}`);
  }
}
