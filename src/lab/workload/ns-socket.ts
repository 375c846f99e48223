/**
 * Client sockets that live in another network namespace. The native addon creates the
 * socket inside the namespace (a socket keeps its namespace for life); Node then drives it
 * like any other, so one process can connect from hundreds of pods and nodes at once.
 * Errors are classified the way a connectivity matrix needs them: refused (RST / ICMP port
 * unreachable), unreachable (no route / ICMP host or admin prohibited), timeout (dropped).
 */
import dgram from "node:dgram";
import net from "node:net";
import { native } from "../../kernel/native.js";

export type SocketFailure = "timeout" | "refused" | "unreachable" | "reset" | "no-answer" | "error";

export class NsSocketError extends Error {
  constructor(
    readonly failure: SocketFailure,
    message: string,
  ) {
    super(message);
    this.name = "NsSocketError";
  }
}

export function ipFamily(ip: string): 4 | 6 {
  const f = net.isIP(ip);
  if (f === 0) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
  return f as 4 | 6;
}

/** Map a socket error (errno code) to the failure kinds of a probe. */
export function classifySocketError(err: unknown): SocketFailure {
  if (err instanceof NsSocketError) return err.failure;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ECONNREFUSED":
      return "refused";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
    case "ENETDOWN":
    case "EACCES":
    case "EPERM":
      return "unreachable";
    case "ETIMEDOUT":
      return "timeout";
    case "ECONNRESET":
    case "EPIPE":
      return "reset";
    default:
      return "error";
  }
}

/**
 * Connect over TCP from inside the namespace at nsPath. Resolves with the connected socket;
 * rejects with an NsSocketError naming the failure. The caller owns (and destroys) the socket.
 */
export function tcpConnectFrom(
  nsPath: string,
  ip: string,
  port: number,
  timeoutMs: number,
): Promise<net.Socket> {
  const fd = native().socketIn(nsPath, ipFamily(ip), 1, -1);
  const sock = new net.Socket({ fd, readable: true, writable: true });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new NsSocketError("timeout", `TCP connect to ${ip}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      sock.destroy();
      reject(new NsSocketError(classifySocketError(err), `TCP connect to ${ip}:${port}: ${err.message}`));
    };
    sock.once("error", onError);
    sock.connect(port, ip, () => {
      clearTimeout(timer);
      sock.removeListener("error", onError);
      // The caller adds its own handlers; a late reset must never be an unhandled 'error'.
      sock.on("error", () => {});
      resolve(sock);
    });
  });
}

/**
 * A UDP socket inside the namespace at nsPath, bound to an ephemeral port and connected to
 * ip:port, so ICMP port-unreachable surfaces as an ECONNREFUSED error event.
 */
export function udpConnectFrom(nsPath: string, ip: string, port: number): Promise<dgram.Socket> {
  const family = ipFamily(ip);
  const fd = native().socketIn(nsPath, family, 2, 0);
  const sock = dgram.createSocket(family === 6 ? "udp6" : "udp4");
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      try {
        sock.close();
      } catch {
        /* already closed */
      }
      reject(new NsSocketError(classifySocketError(err), `UDP socket to ${ip}:${port}: ${err.message}`));
    };
    sock.once("error", fail);
    sock.bind({ fd }, () => {
      sock.connect(port, ip, () => {
        sock.removeListener("error", fail);
        sock.on("error", () => {});
        resolve(sock);
      });
    });
  });
}

/** "ip:port" as Go's net/http prints a peer ("[v6]:port"); IPv4-mapped v6 shown as v4. */
export function formatPeer(address: string | undefined, port: number | undefined): string {
  const ip = (address ?? "").replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  return net.isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}
