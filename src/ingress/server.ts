/**
 * The ingress listeners: plain HTTP and HTTPS in front of one IngressProxy, started once and
 * never restarted: configuration changes swap the proxy's config and the certificate table
 * that the TLS SNICallback reads, so in-flight requests, keep-alive connections and
 * WebSocket tunnels all live through them.
 *
 * Limits, so a slow or malicious client cannot exhaust the proxy: request head within
 * `headersTimeoutMs` (slowloris), whole request within `requestTimeoutMs`, `maxHeaderBytes`
 * of headers (431) and `maxHeaders` of them, idle keep-alive connections closed after
 * `keepAliveTimeoutMs`, a client that stops reading a response cut when the endpoint's
 * connection has been stalled for the proxy's upstream timeout (no per-request socket
 * timer on the client side: Node re-arms it twice per request, a few % of the CPU), the TLS handshake
 * within `handshakeTimeoutMs`, at most `maxConnections` connections per listener; request
 * bodies are capped by the proxy (413). Malformed requests get Node's 400 and a close.
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type tls from "node:tls";
import { createSecureContext } from "node:tls";
import type { PemPair } from "./certs.js";
import type { IngressProxy } from "./proxy.js";
import { secretForServerName } from "./tls-hosts.js";
import { tunnelUpgrade } from "./websocket.js";

export interface ServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  handshakeTimeoutMs: number;
  maxHeaderBytes: number;
  maxHeaders: number;
  maxConnections: number;
  /** WebSocket (upgrade) tunnels idle this long are closed. */
  upgradeIdleMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 60_000,
  handshakeTimeoutMs: 10_000,
  maxHeaderBytes: 16 * 1024,
  maxHeaders: 100,
  maxConnections: 20_000,
  upgradeIdleMs: 3_600_000,
};

export interface IngressServerOptions {
  address: string;
  /** 0 picks a free port (tests); null: no such listener (the other protocol's process serves it). */
  httpPort: number | null;
  httpsPort: number | null;
  defaultCert: PemPair;
  limits?: Partial<ServerLimits>;
}

export interface IngressServers {
  /** The ports listened on (0 for a protocol not served). */
  httpPort: number;
  httpsPort: number;
  close(): Promise<void>;
}

function listen(server: http.Server, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startIngressServers(
  proxy: IngressProxy,
  o: IngressServerOptions,
): Promise<IngressServers> {
  const limits = { ...DEFAULT_LIMITS, ...o.limits };
  const common = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: 1000,
    noDelay: true,
  };
  const defaultContext = createSecureContext({ cert: o.defaultCert.cert, key: o.defaultCert.key });
  const sni = (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => {
    const cfg = proxy.config;
    const secret = secretForServerName(cfg.tlsHosts, servername);
    cb(null, (secret && cfg.contexts.get(secret)) || defaultContext);
  };
  const servers: Array<[http.Server, "http" | "https", number]> = [];
  if (o.httpPort !== null) servers.push([http.createServer(common), "http", o.httpPort]);
  if (o.httpsPort !== null) {
    const secure = https.createServer({
      ...common,
      cert: o.defaultCert.cert,
      key: o.defaultCert.key,
      SNICallback: sni,
      minVersion: "TLSv1.2",
      ALPNProtocols: ["http/1.1"],
      handshakeTimeout: limits.handshakeTimeoutMs,
    });
    // Handshake failures and resets are the client's business; never the process's.
    secure.on("tlsClientError", (_err, socket) => socket.destroy());
    servers.push([secure, "https", o.httpsPort]);
  }
  const ports = { http: 0, https: 0 };
  for (const [server, proto, port] of servers) {
    server.maxHeadersCount = limits.maxHeaders;
    server.maxConnections = limits.maxConnections;
    server.timeout = 0;
    server.on("request", (req, res) => proxy.handle(req, res, proto));
    server.on("upgrade", (req, socket, head) =>
      tunnelUpgrade(proxy, req, socket, head, proto, { idleMs: limits.upgradeIdleMs }),
    );
    ports[proto] = await listen(server, port, o.address);
  }
  const all = servers.map(([server]) => server);
  return {
    httpPort: ports.http,
    httpsPort: ports.https,
    close: async () => {
      const done = all.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      for (const s of all) s.closeIdleConnections();
      await Promise.all(done);
    },
  };
}
