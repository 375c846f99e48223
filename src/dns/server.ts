/**
 * The DNS server's sockets: UDP and TCP on one port, either on an address of this namespace
 * (127.0.0.x in tests) or on the wildcard address inside another network namespace (a pod's,
 * through the native socketIn addon; Node adopts the descriptor). Every datagram and every
 * TCP frame goes to the QueryHandler; this file only moves bytes and bounds resources:
 *  - UDP: one response per datagram; send errors (ICMP from vanished clients) are ignored.
 *  - TCP (RFC 7766): 2-byte length framing, pipelined queries answered as they complete, an
 *    idle timeout, at most `maxTcpConnections` connections and `maxTcpPipeline` unanswered
 *    queries per connection (beyond either, the connection is closed), frames of any length
 *    up to 65535.
 * Nothing a client sends can throw out of a socket callback: the handler never throws and
 * the framing code only reads within bounds.
 */
import dgram from "node:dgram";
import net from "node:net";
import { native } from "../kernel/native.js";
import type { QueryHandler } from "./handler.js";

export type Listen = { address: string; port: number } | { netnsPath: string; port: number; family?: 4 | 6 };

export interface DnsServerOptions {
  handler: QueryHandler;
  listen: Listen;
  tcpIdleMs?: number;
  maxTcpConnections?: number;
  maxTcpPipeline?: number;
}

export interface DnsServer {
  /** The port both sockets are bound to. */
  port: number;
  tcpConnections(): number;
  close(): Promise<void>;
}

function isPromise<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown })?.then === "function";
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const { handler } = opts;
  const udp = await openUdp(opts.listen);
  const port = udp.address().port;
  let tcp: net.Server;
  try {
    tcp = await openTcp(opts.listen, port);
  } catch (err) {
    udp.close();
    throw err;
  }

  udp.on("message", (msg, peer) => {
    const send = (out: Buffer | undefined) => {
      if (out) udp.send(out, peer.port, peer.address, () => {});
    };
    const r = handler.handle(msg, "udp");
    if (isPromise(r)) r.then(send, () => {});
    else send(r);
  });
  udp.on("error", () => {});

  const conns = new Set<net.Socket>();
  const idleMs = opts.tcpIdleMs ?? 10_000;
  const maxConns = opts.maxTcpConnections ?? 256;
  const maxPipeline = opts.maxTcpPipeline ?? 64;
  tcp.on("connection", (sock) => {
    if (conns.size >= maxConns) {
      sock.destroy();
      return;
    }
    conns.add(sock);
    sock.on("close", () => conns.delete(sock));
    sock.on("error", () => sock.destroy());
    sock.setTimeout(idleMs, () => sock.destroy());
    serveTcpConnection(sock, handler, maxPipeline);
  });
  tcp.on("error", () => {});

  return {
    port,
    tcpConnections: () => conns.size,
    close: async () => {
      for (const c of conns) c.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
      ]);
    },
  };
}

function serveTcpConnection(sock: net.Socket, handler: QueryHandler, maxPipeline: number): void {
  let buf: Buffer = Buffer.alloc(0);
  let pending = 0;
  const reply = (out: Buffer | undefined) => {
    pending--;
    if (!out || sock.destroyed) return;
    const len = Buffer.allocUnsafe(2);
    len.writeUInt16BE(out.length);
    sock.write(Buffer.concat([len, out]));
  };
  sock.on("data", (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 2) {
      const len = buf.readUInt16BE(0);
      if (buf.length < 2 + len) break;
      const msg = Buffer.from(buf.subarray(2, 2 + len));
      buf = buf.subarray(2 + len);
      if (++pending > maxPipeline) {
        sock.destroy();
        return;
      }
      const r = handler.handle(msg, "tcp");
      if (isPromise(r)) r.then(reply, () => reply(undefined));
      else reply(r);
    }
  });
}

function openUdp(listen: Listen): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    let sock: dgram.Socket;
    const done = () => {
      sock.removeListener("error", reject);
      resolve(sock);
    };
    if ("netnsPath" in listen) {
      const family = listen.family ?? 4;
      const fd = nsSocket(listen.netnsPath, family, 2, listen.port);
      sock = dgram.createSocket(family === 6 ? "udp6" : "udp4");
      sock.once("error", reject);
      sock.bind({ fd }, done);
    } else {
      sock = dgram.createSocket(net.isIPv6(listen.address) ? "udp6" : "udp4");
      sock.once("error", reject);
      sock.bind(listen.port, listen.address, done);
    }
  });
}

function openTcp(listen: Listen, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ pauseOnConnect: false });
    server.once("error", reject);
    const done = () => {
      server.removeListener("error", reject);
      resolve(server);
    };
    if ("netnsPath" in listen)
      server.listen({ fd: nsSocket(listen.netnsPath, listen.family ?? 4, 1, port) }, done);
    else server.listen({ port, host: listen.address }, done);
  });
}

function nsSocket(nsPath: string, family: 4 | 6, type: 1 | 2, port: number): number {
  try {
    return native().socketIn(nsPath, family, type, port);
  } catch (err) {
    throw new Error(
      `cannot open DNS ${type === 1 ? "TCP" : "UDP"} port ${port} in ${nsPath}: ${(err as Error).message}`,
    );
  }
}
