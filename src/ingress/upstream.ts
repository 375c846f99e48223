/**
 * Keep-alive connection pools to endpoints: one http.Agent per endpoint (`ip:port`), shared by
 * every backend that lists it, LIFO so idle sockets beyond the load expire. Idle sockets close
 * after `idleMs`, below the 5 s keep-alive of Node.js servers (and most others), so the proxy
 * rarely reuses a socket the server is closing. When an endpoint leaves the configuration its
 * pool is retired: destroyed once its last in-flight request ends, never under a request.
 */
import http from "node:http";

export interface Upstream {
  endpoint: string;
  host: string;
  port: number;
  agent: http.Agent;
  inflight: number;
  retired: boolean;
}

export interface PoolOptions {
  /** Idle keep-alive sockets close after this long. */
  idleMs: number;
  /** Most sockets per endpoint (requests queue beyond). */
  maxSockets: number;
  maxFreeSockets: number;
}

export const DEFAULT_POOL: PoolOptions = { idleMs: 4000, maxSockets: 1024, maxFreeSockets: 256 };

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
      u = { endpoint, host, port, agent, inflight: 0, retired: false };
      this.pools.set(endpoint, u);
    }
    return u;
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
