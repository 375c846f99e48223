/**
 * Real traffic between namespaces for the datapath tests: ping, and TCP and UDP exchanges
 * (socat clients) with servers that answer with the client address they saw, like agnhost's
 * /clientip, so a test proves the receiver sees the sender's own address (no NAT).
 * tcpdump captures run inside the namespace whose interface they watch.
 */
import dgram from "node:dgram";
import net from "node:net";
import { native } from "../../src/kernel/native.js";
import { netnsPath } from "../../src/kernel/netns.js";
import { execIn, type ProcessGroup, waitForStderr } from "./nsproc.js";

export const CLIENTIP_TCP_PORT = 8080;
export const CLIENTIP_UDP_PORT = 8081;

/**
 * TCP and UDP "client IP" servers inside a namespace, hosted by this process: the native
 * addon opens the sockets in the namespace (bound and listening before start returns) and
 * Node serves them. Each answers with the peer address it saw: TCP writes it and closes,
 * UDP sends it back to the sender. One process serves every namespace of a test.
 */
export class ClientIpServers {
  private readonly servers: net.Server[] = [];
  private readonly sockets: dgram.Socket[] = [];

  async start(ns: string): Promise<void> {
    const nsPath = netnsPath(ns);
    const tcpFd = native().socketIn(nsPath, 4, 1, CLIENTIP_TCP_PORT);
    const server = net.createServer((conn) => conn.end(`${conn.remoteAddress}\n`));
    server.on("error", () => {});
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen({ fd: tcpFd }, resolve));
    const udpFd = native().socketIn(nsPath, 4, 2, CLIENTIP_UDP_PORT);
    const socket = dgram.createSocket("udp4");
    socket.on("message", (_msg, peer) => socket.send(`${peer.address}\n`, peer.port, peer.address));
    socket.on("error", () => {});
    this.sockets.push(socket);
    await new Promise<void>((resolve) => socket.bind({ fd: udpFd }, resolve));
  }

  async stopAll(): Promise<void> {
    const servers = this.servers.splice(0);
    const sockets = this.sockets.splice(0);
    await Promise.all([
      ...servers.map((s) => new Promise((resolve) => s.close(resolve))),
      ...sockets.map((s) => new Promise<void>((resolve) => s.close(resolve))),
    ]);
  }
}

/**
 * Ask the server at `ip` over TCP or UDP which address it saw us come from. `bind` forces the
 * source address; timeoutSec bounds the wait. Throws with socat's error when there is no answer.
 */
export async function askClientIp(
  fromNs: string,
  ip: string,
  proto: "tcp" | "udp",
  { bind, timeoutSec = 3 }: { bind?: string; timeoutSec?: number } = {},
): Promise<string> {
  const opts = bind ? `,bind=${bind}` : "";
  const t = String(timeoutSec);
  const r =
    proto === "tcp"
      ? await execIn(
          fromNs,
          ["socat", `-T${t}`, "-", `TCP:${ip}:${CLIENTIP_TCP_PORT},connect-timeout=${t}${opts}`],
          "",
        )
      : // UDP-DATAGRAM (not UDP:) accepts the answer from any source address: a server bound to
        // the wildcard answers from the address the kernel picks for the way back (cni0's for a
        // local pod), not necessarily the one the request was sent to.
        await execIn(
          fromNs,
          ["socat", "-t1", `-T${t}`, "-", `UDP-DATAGRAM:${ip}:${CLIENTIP_UDP_PORT}${opts}`],
          "q\n",
        );
  const answer = r.stdout.trim();
  if (r.code !== 0 || answer === "") {
    throw new Error(
      `${proto.toUpperCase()} ${fromNs} -> ${ip}: no answer (exit ${r.code}) ${r.stderr.trim()}`,
    );
  }
  return answer;
}

/** One ping; resolves true when a reply came back within 2 s. */
export async function ping(fromNs: string, ip: string, opts: { size?: number; dontFragment?: boolean } = {}) {
  const argv = ["ping", "-n", "-q", "-c", "1", "-W", "2"];
  if (opts.size !== undefined) argv.push("-s", String(opts.size));
  if (opts.dontFragment) argv.push("-M", "do");
  const r = await execIn(fromNs, [...argv, ip]);
  return r.code === 0;
}

/** The source address the kernel of `ns` picks for traffic to `dst` (`ip route get`). */
export async function sourceFor(ns: string, dst: string): Promise<string> {
  const r = await execIn(ns, ["ip", "-j", "route", "get", dst]);
  const [route] = JSON.parse(r.stdout) as { prefsrc?: string }[];
  if (!route?.prefsrc) throw new Error(`no source address for ${dst} in ${ns}: ${r.stdout} ${r.stderr}`);
  return route.prefsrc;
}

/**
 * Capture on `iface` inside `ns` while `traffic` runs, and return tcpdump's lines (-nn: no
 * name resolution). tcpdump decodes VXLAN on 4789 only; pass ["-T", "vxlan"] as extraArgs to
 * see the inner packets of Flannel's UDP 8472.
 */
export async function capture(
  procs: ProcessGroup,
  ns: string,
  iface: string,
  filter: string,
  traffic: () => Promise<unknown>,
  extraArgs: string[] = [],
): Promise<string[]> {
  const dump = procs.spawn(ns, ["tcpdump", "-i", iface, "-nn", "-l", "-c", "20", ...extraArgs, filter]);
  try {
    await waitForStderr(dump, "listening on");
    await traffic();
    // Let the last packets reach the capture buffer before tcpdump is stopped.
    await new Promise((res) => setTimeout(res, 300));
  } finally {
    await procs.stop(dump);
  }
  return dump
    .stdout()
    .split("\n")
    .filter((l) => l.trim() !== "");
}
