/**
 * One client request's journey through the proxy (proxy.ts routes it here): an endpoint from
 * the backend's pool, the request streamed to it, the response streamed back, and on a failed
 * connect another endpoint (see proxy.ts for the rules). Per-request state hangs off Node's
 * request objects and the event handlers are shared functions, so a request allocates no
 * closures beyond what Node itself does (the proxy must stay within 0.9x of a bare one).
 */
import http from "node:http";
import type { Socket } from "node:net";
import type { ResolvedBackend } from "./backends.js";
import { originForm, responseHeaders } from "./headers.js";
import type { IngressProxy } from "./proxy.js";
import type { Upstream } from "./upstream.js";

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
const CONNECT_ERRORS = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
  "ECONNECTTIMEOUT",
]);

export class ProxyError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
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
export class Exchange {
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
