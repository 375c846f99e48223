/**
 * Upgrades (WebSocket): routed like any request, then a byte pipe. The proxy opens a plain
 * TCP connection to an endpoint (retrying a failed connect on the next one), replays the
 * request head with Connection/Upgrade kept and the X-Forwarded-* headers added, and from
 * then on copies bytes both ways: the endpoint's `101 Switching Protocols` (or its refusal)
 * and every frame pass through untouched. Either side closing closes the other; a tunnel
 * idle for `idleMs` is closed so abandoned ones cannot pile up.
 */
import type http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { clientAddress, type ForwardInfo, originForm, requestHead } from "./headers.js";
import type { IngressProxy } from "./proxy.js";

export interface TunnelOptions {
  idleMs: number;
}

function rawError(socket: Duplex, status: number, statusText: string, reason: string): void {
  const body = `${status} ${statusText}: ${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nX-Flatnet-Ingress: error\r\n\r\n${body}`,
  );
}

export function tunnelUpgrade(
  proxy: IngressProxy,
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  proto: ForwardInfo["proto"],
  opts: TunnelOptions,
): void {
  proxy.stats.upgrades++;
  socket.on("error", () => socket.destroy());
  const sock = req.socket;
  const { headers, host } = requestHead(
    req.rawHeaders,
    { proto, port: sock.localPort ?? 0, clientIp: clientAddress(sock.remoteAddress) },
    true,
  );
  const r = proxy.route(host, req.url ?? "/");
  if ("status" in r) {
    proxy.count(r.status);
    rawError(socket, r.status, r.status === 404 ? "Not Found" : "Service Unavailable", r.reason);
    return;
  }
  let headText = `${req.method} ${originForm(req.url ?? "/")} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) headText += `${headers[i]}: ${headers[i + 1]}\r\n`;
  headText += "\r\n";
  const tried: string[] = [];
  let clientGone = false;
  socket.once("close", () => {
    clientGone = true;
  });

  const attempt = (): void => {
    const endpoint = proxy.pickEndpoint(r.backend, tried);
    if (endpoint === undefined || clientGone) {
      proxy.count(502);
      rawError(socket, 502, "Bad Gateway", "no endpoint accepted the connection");
      return;
    }
    tried.push(endpoint);
    const colon = endpoint.lastIndexOf(":");
    const host = endpoint.slice(0, colon).replace(/^\[|\]$/g, "");
    const up = net.connect({ host, port: Number(endpoint.slice(colon + 1)), noDelay: true });
    let connected = false;
    const timer = setTimeout(() => up.destroy(new Error("connect timed out")), proxy.opts.connectTimeoutMs);
    up.once("connect", () => {
      clearTimeout(timer);
      connected = true;
      if (clientGone) {
        up.destroy();
        return;
      }
      proxy.count(101);
      up.write(headText);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
      for (const s of [up, socket as net.Socket]) {
        s.setTimeout(opts.idleMs, () => {
          up.destroy();
          socket.destroy();
        });
      }
      // A clean end was passed on by pipe (socket.end flushes); anything else cuts the client.
      up.once("close", () => {
        if (!socket.writableEnded) socket.destroy();
      });
      socket.once("close", () => up.destroy());
    });
    up.on("error", () => {
      clearTimeout(timer);
      if (connected) {
        socket.destroy();
        return;
      }
      proxy.markDown(endpoint);
      if (tried.length < Math.min(proxy.opts.maxAttempts, r.backend.endpoints.length)) {
        proxy.stats.retries++;
        attempt();
      } else {
        proxy.count(502);
        rawError(socket, 502, "Bad Gateway", `${endpoint}: connect failed`);
      }
    });
  };
  attempt();
}
