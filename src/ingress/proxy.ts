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
import type { Socket } from "node:net";
import type { ResolvedBackend } from "./backends.js";
import { emptyConfig, type ProxyConfig } from "./config.js";
import { clientAddress, type ForwardInfo, originForm, requestHead, responseHeaders } from "./headers.js";
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

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
const CONNECT_ERRORS = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
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

// Per-request state hangs off the request objects under these keys, so the event handlers
// below are shared functions rather than closures allocated for every request.
const EX = Symbol("flatnet ingress exchange");
const UP = Symbol("flatnet ingress upstream");
type UpstreamRequest = http.ClientRequest & { [EX]: Exchange; [UP]: Upstream };
type ClientResponse = http.ServerResponse & { [EX]: Exchange };
type EndpointResponse = http.IncomingMessage & { [EX]: Exchange };

function onUpstreamClose(this: UpstreamRequest): void {
  this[EX].proxy.pool.release(this[UP]);
}

function onUpstreamTimeout(this: UpstreamRequest): void {
  // A connecting socket has its own (shorter) connect timer in the pool's agent.
  if (this.socket && !this.socket.connecting)
    this.destroy(new ProxyError("the endpoint did not answer in time", "ERESPONSETIMEOUT"));
}

function onUpstreamResponse(this: UpstreamRequest, ures: http.IncomingMessage): void {
  this[EX].respond(ures as EndpointResponse);
}

function onUpstreamError(this: UpstreamRequest, err: NodeJS.ErrnoException): void {
  this[EX].upstreamError(this[UP], this, err);
}

/** Requests with a body: stream it only once a connection stands (a failed connect is retried). */
function onUpstreamSocket(this: UpstreamRequest, s: Socket): void {
  const ex = this[EX];
  const start = () => {
    if (ex.current !== this) return;
    ex.bodyStarted = true;
    ex.req.pipe(this);
  };
  if (s.connecting) s.once("connect", start);
  else start();
}

function onClientClose(this: ClientResponse): void {
  const ex = this[EX];
  if (!this.writableFinished) ex.current?.destroy();
  ex.finished = true;
}

function onEndpointResponseError(this: EndpointResponse): void {
  this[EX].res.destroy();
}

/** One client request's journey, possibly over several endpoints. */
class Exchange {
  /** Endpoints tried so far (allocated on the first retry). */
  private tried: string[] | undefined;
  private responded = false;
  finished = false;
  bodyStarted = false;
  current: http.ClientRequest | undefined;
  private attempts = 0;

  constructor(
    readonly proxy: IngressProxy,
    readonly req: http.IncomingMessage,
    readonly res: http.ServerResponse,
    private readonly backend: ResolvedBackend,
    private readonly headers: string[],
    private readonly hasBody: boolean,
    chunked: boolean,
  ) {
    (res as ClientResponse)[EX] = this;
    res.once("close", onClientClose);
    if (hasBody && chunked) this.limitChunkedBody();
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
    this.attempts++;
    const u = this.proxy.pool.get(endpoint);
    this.proxy.pool.acquire(u);
    let up: UpstreamRequest;
    try {
      up = http.request({
        agent: u.agent,
        host: u.host,
        port: u.port,
        method: this.req.method,
        path: originForm(this.req.url ?? "/"),
        headers: this.headers,
        setHost: false,
        // Endpoint inactivity; armed by the agent as it hands out the socket (cheaper than
        // req.setTimeout, which adds and removes socket listeners per request).
        timeout: this.proxy.opts.upstreamTimeoutMs,
      }) as UpstreamRequest;
    } catch (err) {
      // Node refuses to send some targets or header values its parser let in.
      this.proxy.pool.release(u);
      this.proxy.fail(this.res, 400, `cannot forward this request: ${(err as Error).message}`);
      return;
    }
    up[EX] = this;
    up[UP] = u;
    this.current = up;
    up.once("close", onUpstreamClose);
    up.on("timeout", onUpstreamTimeout);
    up.on("response", onUpstreamResponse);
    up.on("error", onUpstreamError);
    if (this.hasBody) up.on("socket", onUpstreamSocket);
    else up.end();
  }

  respond(ures: EndpointResponse): void {
    if (this.finished) {
      ures.resume();
      return;
    }
    this.responded = true;
    const status = ures.statusCode ?? 502;
    this.proxy.count(status);
    this.res.writeHead(status, ures.statusMessage, responseHeaders(ures.rawHeaders));
    ures[EX] = this;
    ures.pipe(this.res);
    ures.once("error", onEndpointResponseError);
  }

  upstreamError(u: Upstream, up: http.ClientRequest, err: NodeJS.ErrnoException): void {
    if (this.finished || this.current !== up) return;
    if (this.responded) {
      this.res.destroy();
      return;
    }
    const code = err.code ?? "";
    // Errors only a connect attempt gives: nothing reached the endpoint.
    const beforeSend = CONNECT_ERRORS.has(code);
    if (beforeSend) this.proxy.markDown(u.endpoint);
    const staleKeepAlive =
      up.reusedSocket &&
      !this.bodyStarted &&
      !this.hasBody &&
      IDEMPOTENT.has(this.req.method ?? "") &&
      (code === "ECONNRESET" || code === "EPIPE");
    this.tried ??= [];
    // A stale keep-alive socket: the same endpoint may be tried again on a fresh socket.
    if (!staleKeepAlive) this.tried.push(u.endpoint);
    if (
      (beforeSend || staleKeepAlive) &&
      this.attempts < this.proxy.opts.maxAttempts &&
      this.tried.length < this.backend.endpoints.length
    ) {
      this.proxy.stats.retries++;
      this.attempt();
      return;
    }
    if (code === "ERESPONSETIMEOUT") this.proxy.fail(this.res, 504, `${u.endpoint}: ${err.message}`);
    else this.proxy.fail(this.res, 502, `${u.endpoint}: ${err.message}`);
  }
}
