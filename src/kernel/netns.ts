/**
 * Named network namespaces (the `ip netns` convention: bind mounts under /run/netns), so
 * every tool (ip -n, nft, tcpdump via ip netns exec) can find what flatnet made.
 */
import { existsSync, readdirSync } from "node:fs";
import { run } from "./exec.js";

export const NETNS_DIR = "/run/netns";

export function netnsPath(name: string): string {
  return `${NETNS_DIR}/${name}`;
}

export function netnsExists(name: string): boolean {
  return existsSync(netnsPath(name));
}

export function listNetns(prefix = ""): string[] {
  if (!existsSync(NETNS_DIR)) return [];
  return readdirSync(NETNS_DIR).filter((n) => n.startsWith(prefix));
}

/** Create a namespace with loopback up. Idempotent. */
export async function createNetns(name: string): Promise<void> {
  if (!netnsExists(name)) await run(["ip", "netns", "add", name]);
  // One per pod: setns only, without `ip -n`'s copy of the whole mount table.
  await run(["ip", "link", "set", "lo", "up"], { netns: name, netlinkOnly: true });
}

/** Delete a namespace; its veth ends and devices go with it. Idempotent. */
export async function deleteNetns(name: string): Promise<void> {
  if (!netnsExists(name)) return;
  await run(["ip", "netns", "delete", name]);
}
