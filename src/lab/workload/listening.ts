/**
 * "Do the container's ports listen?" without a process or a connection: /proc/<pid>/net/*
 * shows the socket tables of the network namespace that <pid> is in, so any process inside
 * the pod answers for the whole pod. Just after spawn the PID may still be `ip netns exec`
 * in the root namespace, so the PID's namespace is first compared with the pod's (same
 * inode) — otherwise the root's listeners would be mistaken for the pod's.
 */
import { readFile, readlink, stat } from "node:fs/promises";
import type { ServedPort } from "./served-ports.js";

const TCP_LISTEN = "0A";
const UDP_UNCONNECTED = "07";

/** Local ports in a /proc/net/{tcp,udp}[6] table whose state is `state`. */
export function portsInState(table: string, state: string): Set<number> {
  const ports = new Set<number>();
  for (const line of table.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || cols[3] !== state) continue;
    const port = Number.parseInt(cols[1]!.split(":")[1] ?? "", 16);
    if (Number.isInteger(port)) ports.add(port);
  }
  return ports;
}

/** Whether pid currently lives in the network namespace at nsPath. */
export async function pidInNetns(pid: number, nsPath: string): Promise<boolean> {
  try {
    const [link, ns] = await Promise.all([readlink(`/proc/${pid}/ns/net`), stat(nsPath)]);
    return link === `net:[${ns.ino}]`;
  } catch {
    return false;
  }
}

async function readTable(pid: number, name: string): Promise<string> {
  try {
    return await readFile(`/proc/${pid}/net/${name}`, "utf8");
  } catch {
    return "";
  }
}

/** Ports among `ports` not yet listening (TCP) or bound (UDP) in pid's namespace at nsPath. */
export async function portsNotListening(
  pid: number,
  nsPath: string,
  ports: ServedPort[],
): Promise<ServedPort[]> {
  if (ports.length === 0) return [];
  if (!(await pidInNetns(pid, nsPath))) return ports;
  const wantTcp = ports.some((p) => p.protocol === "TCP");
  const wantUdp = ports.some((p) => p.protocol === "UDP");
  const [tcp, tcp6, udp, udp6] = await Promise.all([
    wantTcp ? readTable(pid, "tcp") : "",
    wantTcp ? readTable(pid, "tcp6") : "",
    wantUdp ? readTable(pid, "udp") : "",
    wantUdp ? readTable(pid, "udp6") : "",
  ]);
  const tcpPorts = new Set([...portsInState(tcp, TCP_LISTEN), ...portsInState(tcp6, TCP_LISTEN)]);
  const udpPorts = new Set([...portsInState(udp, UDP_UNCONNECTED), ...portsInState(udp6, UDP_UNCONNECTED)]);
  return ports.filter((p) => !(p.protocol === "TCP" ? tcpPorts : udpPorts).has(p.port));
}
