/**
 * Servers for Service tests: inside each pod namespace, TCP and UDP servers that answer every
 * line (TCP, connection kept open) or datagram (UDP) with "<name> <client address>", so a
 * test learns both which endpoint served it and which source address it saw. Hosted by this
 * process through the native addon (sockets opened inside the namespace).
 * Clients run as real processes in their namespaces (socat), as a user's would.
 */
import dgram from "node:dgram";
import net from "node:net";
import { native } from "../../src/kernel/native.js";
import { netnsPath } from "../../src/kernel/netns.js";
import { execIn } from "./nsproc.js";

export class NameServers {
  private readonly servers: net.Server[] = [];
  private readonly sockets: dgram.Socket[] = [];
  private readonly conns = new Set<net.Socket>();

  async start(ns: string, name: string, tcpPort: number, udpPort: number): Promise<void> {
    const path = netnsPath(ns);
    const server = net.createServer((conn) => {
      this.conns.add(conn);
      conn.on("close", () => this.conns.delete(conn));
      conn.on("error", () => {});
      let buf = "";
      conn.on("data", (d) => {
        buf += d;
        while (buf.includes("\n")) {
          buf = buf.slice(buf.indexOf("\n") + 1);
          conn.write(`${name} ${conn.remoteAddress}\n`);
        }
      });
    });
    server.on("error", () => {});
    this.servers.push(server);
    await new Promise<void>((r) => server.listen({ fd: native().socketIn(path, 4, 1, tcpPort) }, r));
    const sock = dgram.createSocket("udp4");
    sock.on("message", (_m, peer) => sock.send(`${name} ${peer.address}\n`, peer.port, peer.address));
    sock.on("error", () => {});
    this.sockets.push(sock);
    await new Promise<void>((r) => sock.bind({ fd: native().socketIn(path, 4, 2, udpPort) }, r));
  }

  async stopAll(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await Promise.all([
      ...this.servers.splice(0).map((s) => new Promise((r) => s.close(r))),
      ...this.sockets.splice(0).map((s) => new Promise<void>((r) => s.close(r))),
    ]);
  }
}

export interface Answer {
  ok: boolean;
  name?: string;
  client?: string;
  stderr: string;
  ms: number;
}

/** One request from `ns` to ip:port; `sourcePort` pins the client port (UDP flows). */
export async function ask(
  ns: string,
  ip: string,
  port: number,
  proto: "tcp" | "udp",
  opts: { timeoutSec?: number; sourcePort?: number } = {},
): Promise<Answer> {
  const t = String(opts.timeoutSec ?? 2);
  // For datagram addresses socat's `sourceport` filters what it receives; bind sets ours.
  const src = opts.sourcePort ? `,bind=0.0.0.0:${opts.sourcePort},reuseaddr` : "";
  const target =
    proto === "tcp" ? `TCP:${ip}:${port},connect-timeout=${t}${src}` : `UDP-DATAGRAM:${ip}:${port}${src}`;
  const started = Date.now();
  const r = await execIn(ns, ["socat", "-t1", `-T${t}`, "-", target], "hello\n");
  const ms = Date.now() - started;
  const [name, client] = r.stdout.trim().split("\n")[0]?.split(" ") ?? [];
  return { ok: r.code === 0 && !!name, name, client, stderr: r.stderr, ms };
}
