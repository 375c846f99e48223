/**
 * Keep-alive connection pools to endpoints: one http.Agent per endpoint (`ip:port`), shared by
 * every backend that lists it, LIFO so idle sockets beyond the load expire. Idle sockets close
 * after `idleMs`, below the 5 s keep-alive of Node.js servers (and most others), so the proxy
 * rarely reuses a socket the server is closing. When an endpoint leaves the configuration its
 * pool is retired: destroyed once its last in-flight request ends, never under a request.
 * New connections fail with ECONNECTTIMEOUT after `connectTimeoutMs`.
 */
import http from "node:http";
import net from "node:net";

export interface Upstream {
  endpoint: string;
  host: string;
  port: number;
  agent: http.Agent;
  inflight: number;
  retired: boolean;
  /** Passive health: after a failed connect, skipped until this time (ms epoch) if others exist. */
  downUntil: number;
}

export interface PoolOptions {
  /** Idle keep-alive sockets close after this long. */
  idleMs: number;
  /** Most sockets per endpoint (requests queue beyond). */
  maxSockets: number;
  maxFreeSockets: number;
  /** A new connection not established within this long fails with ECONNECTTIMEOUT. */
  connectTimeoutMs: number;
}

export const DEFAULT_POOL: PoolOptions = {
  idleMs: 4000,
  maxSockets: 1024,
  maxFreeSockets: 256,
  connectTimeoutMs: 5000,
};

/**
 * Connections with a connect timeout of their own (the request's timeout is for the endpoint
 * idling once connected): a dead endpoint fails fast enough to retry another one.
 */
function timedConnection(connectTimeoutMs: number, endpoint: string) {
  return (options: net.NetConnectOpts): net.Socket => {
    const s = net.createConnection(options);
    const timer = setTimeout(() => {
      const err = new Error(`connect to ${endpoint} timed out`) as NodeJS.ErrnoException;
      err.code = "ECONNECTTIMEOUT";
      s.destroy(err);
    }, connectTimeoutMs);
    const clear = () => clearTimeout(timer);
    s.once("connect", clear);
    s.once("close", clear);
    return s;
  };
}

export function splitEndpoint(ep: string): { host: string; port: number } {
  const colon = ep.lastIndexOf(":");
  const host = ep.slice(0, colon);
  return { host: host.startsWith("[") ? host.slice(1, -1) : host, port: Number(ep.slice(colon + 1)) };
}

export class UpstreamPool {
  private readonly pools = new Map<string, Upstream>();

  constructor(private readonly opts: PoolOptions = DEFAULT_POOL) {}

  get(endpoint: string): Upstream {
    let u = this.pools.get(endpoint);
    if (!u) {
      const { host, port } = splitEndpoint(endpoint);
      const agent = new http.Agent({
        keepAlive: true,
        scheduling: "lifo",
        timeout: this.opts.idleMs,
        maxSockets: this.opts.maxSockets,
        maxFreeSockets: this.opts.maxFreeSockets,
      });
      (agent as unknown as { createConnection: unknown }).createConnection = timedConnection(
        this.opts.connectTimeoutMs,
        endpoint,
      );
      u = { endpoint, host, port, agent, inflight: 0, retired: false, downUntil: 0 };
      this.pools.set(endpoint, u);
    }
    return u;
  }

  /** Whether a failed connect marked the endpoint down (until its cooldown passes). */
  isDown(endpoint: string, now: number): boolean {
    const u = this.pools.get(endpoint);
    return u !== undefined && u.downUntil > now;
  }

  markDown(endpoint: string, cooldownMs: number): void {
    this.get(endpoint).downUntil = Date.now() + cooldownMs;
  }

  acquire(u: Upstream): void {
    u.inflight++;
  }

  release(u: Upstream): void {
    u.inflight--;
    if (u.retired && u.inflight === 0) u.agent.destroy();
  }

  /** Keep the pools of `endpoints`; retire the others. */
  retain(endpoints: ReadonlySet<string>): void {
    for (const [ep, u] of this.pools) {
      if (endpoints.has(ep)) continue;
      this.pools.delete(ep);
      u.retired = true;
      if (u.inflight === 0) u.agent.destroy();
    }
  }

  /** Open sockets per endpoint (busy + idle), for the status endpoint and tests. */
  stats(): Record<string, { inflight: number; sockets: number; idle: number }> {
    const out: Record<string, { inflight: number; sockets: number; idle: number }> = {};
    for (const [ep, u] of this.pools) {
      const count = (m: NodeJS.ReadOnlyDict<unknown[]>) =>
        Object.values(m).reduce((n, l) => n + (l?.length ?? 0), 0);
      out[ep] = { inflight: u.inflight, sockets: count(u.agent.sockets), idle: count(u.agent.freeSockets) };
    }
    return out;
  }

  destroy(): void {
    for (const u of this.pools.values()) u.agent.destroy();
    this.pools.clear();
  }
}
