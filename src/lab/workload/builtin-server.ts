/**
 * The built-in workload server of one container: netexec over HTTP on each TCP port and
 * the netexec datagram protocol on each UDP port, all in the pod's network namespace but
 * served by this (shared) Node process. Sockets are created inside the namespace by the
 * native addon, already bound and listening, so the container is "listening" the moment
 * start() returns; Node only adopts the descriptors. A pod with IPv6 addresses gets one
 * dual-stack IPv6 socket per port (IPv4 peers appear as IPv4-mapped and are shown as IPv4).
 */
import dgram from "node:dgram";
import http from "node:http";
import { native } from "../../kernel/native.js";
import { netexecHttpHandler } from "./netexec-http.js";
import { netexecUdpAnswer } from "./netexec-udp.js";
import type { ServedPort } from "./served-ports.js";

type Listener = { kind: "http"; server: http.Server } | { kind: "udp"; socket: dgram.Socket };

export class BuiltinServer {
  private listeners: Listener[] = [];

  constructor(
    private readonly podName: string,
    private readonly netnsPath: string,
    private readonly family: 4 | 6,
  ) {}

  /** Open every port; on any failure closes what was opened and throws naming the port. */
  async start(ports: ServedPort[]): Promise<void> {
    try {
      for (const p of ports) this.listeners.push(await this.open(p));
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  private async open({ port, protocol }: ServedPort): Promise<Listener> {
    let fd: number;
    try {
      fd = native().socketIn(this.netnsPath, this.family, protocol === "TCP" ? 1 : 2, port);
    } catch (err) {
      throw new Error(`cannot serve ${port}/${protocol} in ${this.netnsPath}: ${(err as Error).message}`);
    }
    if (protocol === "TCP") {
      const server = http.createServer(netexecHttpHandler(this.podName));
      // A peer that connects and stays silent (nc, a TCP probe) must not pin the server.
      server.headersTimeout = 30_000;
      server.requestTimeout = 30_000;
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ fd }, () => {
          server.removeListener("error", reject);
          resolve();
        });
      });
      return { kind: "http", server };
    }
    const socket = dgram.createSocket(this.family === 6 ? "udp6" : "udp4");
    socket.on("message", (msg, peer) => {
      const answer = netexecUdpAnswer(this.podName, msg.toString("utf8"), peer.address, peer.port);
      socket.send(answer, peer.port, peer.address);
    });
    // A send to a vanished peer reports ICMP errors here; the server keeps serving.
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.bind({ fd }, resolve));
    return { kind: "udp", socket };
  }

  /** Close every socket and drop open connections. Idempotent. */
  async close(): Promise<void> {
    const all = this.listeners;
    this.listeners = [];
    await Promise.all(
      all.map(
        (l) =>
          new Promise<void>((resolve) => {
            if (l.kind === "http") {
              l.server.close(() => resolve());
              l.server.closeAllConnections();
            } else l.socket.close(() => resolve());
          }),
      ),
    );
  }
}
