/**
 * Forwarding names outside the cluster zone to the upstream servers of the Cluster config
 * (networking.upstreamDNS). Each question goes out as a fresh recursive query with a random
 * ID from a fresh socket (an ephemeral port per query, so an off-path spoofer must guess
 * both), over UDP with a timeout, retried over TCP when the upstream sets TC; servers are
 * tried in order until one answers. Replies must match ID and question.
 *
 * Sockets come from factories so the same code runs on 127.0.0.1 in tests and inside a pod's
 * network namespace in the lab (native socketIn). In-flight forwards are capped: past the cap
 * a query fails at once (SERVFAIL) instead of growing memory without bound.
 */
import { randomInt } from "node:crypto";
import dgram from "node:dgram";
import net from "node:net";
import { buildQuery, parseUpstreamReply, type UpstreamReply } from "./message.js";

export interface Upstream {
  ip: string;
  port: number;
}

export interface ForwarderOptions {
  servers: Upstream[];
  /** Per attempt (UDP, then TCP when truncated). Default 2000 ms. */
  timeoutMs?: number;
  /** Default 1000. */
  maxInflight?: number;
  /** A UDP socket for talking to `ip` (bound or not). Default: a plain socket in this namespace. */
  udpSocket?: (family: 4 | 6) => Promise<dgram.Socket>;
  /** A connected TCP socket. Default: net.connect in this namespace. */
  tcpConnect?: (ip: string, port: number, timeoutMs: number) => Promise<net.Socket>;
}

/** "1.2.3.4", "1.2.3.4:5353", "fd00::1", "[fd00::1]:5353" -> address and port. */
export function parseUpstream(text: string): Upstream {
  const t = text.trim();
  let ip = t;
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    ip = bracket[1]!;
    if (bracket[2]) port = Number(bracket[2]);
  } else if (t.split(":").length === 2) {
    const [a, p] = t.split(":");
    ip = a!;
    port = Number(p);
  }
  if (!net.isIP(ip) || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`upstream DNS server "${text}" is not an IP address with an optional :port`);
  return { ip, port };
}

function plainUdp(family: 4 | 6): Promise<dgram.Socket> {
  return Promise.resolve(dgram.createSocket(family === 6 ? "udp6" : "udp4"));
}

function plainTcp(ip: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: ip, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`TCP connect to ${ip}:${port} timed out`));
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(timer);
      s.removeAllListeners("error");
      resolve(s);
    });
    s.once("error", (err) => {
      clearTimeout(timer);
      s.destroy();
      reject(err);
    });
  });
}

export class Forwarder {
  private active = 0;
  private readonly timeoutMs: number;
  private readonly maxInflight: number;
  private readonly udpSocket: (family: 4 | 6) => Promise<dgram.Socket>;
  private readonly tcpConnect: (ip: string, port: number, timeoutMs: number) => Promise<net.Socket>;

  constructor(private readonly opts: ForwarderOptions) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.maxInflight = opts.maxInflight ?? 1000;
    this.udpSocket = opts.udpSocket ?? plainUdp;
    this.tcpConnect = opts.tcpConnect ?? plainTcp;
  }

  get configured(): boolean {
    return this.opts.servers.length > 0;
  }

  /** Forwards now in progress. */
  get inflight(): number {
    return this.active;
  }

  /** Ask the upstreams; undefined when none answered (or too many forwards are in flight). */
  async exchange(question: Buffer): Promise<UpstreamReply | undefined> {
    if (this.active >= this.maxInflight) return undefined;
    this.active++;
    try {
      for (const server of this.opts.servers) {
        const reply = await this.ask(server, question).catch(() => undefined);
        if (reply) return reply;
      }
      return undefined;
    } finally {
      this.active--;
    }
  }

  private async ask(server: Upstream, question: Buffer): Promise<UpstreamReply | undefined> {
    const id = randomInt(0, 0x10000);
    const query = buildQuery(id, question);
    const viaUdp = await this.udp(server, query, id, question);
    if (viaUdp && !viaUdp.truncated) return viaUdp;
    if (!viaUdp) return undefined;
    return this.tcp(server, query, id, question);
  }

  private async udp(
    server: Upstream,
    query: Buffer,
    id: number,
    question: Buffer,
  ): Promise<UpstreamReply | undefined> {
    const sock = await this.udpSocket(net.isIPv6(server.ip) ? 6 : 4);
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: UpstreamReply | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        try {
          sock.close();
        } catch {
          /* closed already */
        }
        resolve(r);
      };
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      sock.on("error", () => finish(undefined));
      sock.on("message", (msg) => {
        const r = parseUpstreamReply(msg, id, question);
        if (r) finish(r);
      });
      sock.connect(server.port, server.ip, () => {
        if (!done) sock.send(query, (err) => err && finish(undefined));
      });
    });
  }

  private async tcp(
    server: Upstream,
    query: Buffer,
    id: number,
    question: Buffer,
  ): Promise<UpstreamReply | undefined> {
    const sock = await this.tcpConnect(server.ip, server.port, this.timeoutMs);
    return new Promise((resolve) => {
      let buf = Buffer.alloc(0);
      const finish = (r: UpstreamReply | undefined) => {
        clearTimeout(timer);
        sock.destroy();
        resolve(r);
      };
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      sock.on("error", () => finish(undefined));
      sock.on("close", () => finish(undefined));
      sock.on("data", (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
          const len = buf.readUInt16BE(0);
          const r = parseUpstreamReply(buf.subarray(2, 2 + len), id, question);
          buf = buf.subarray(2 + len);
          if (r) return finish(r);
        }
        if (buf.length > 70_000) finish(undefined);
      });
      const len = Buffer.alloc(2);
      len.writeUInt16BE(query.length);
      sock.write(Buffer.concat([len, query]));
    });
  }
}
