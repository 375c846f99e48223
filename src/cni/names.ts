/**
 * Names and MAC addresses derived from the attachment, so that DEL, CHECK and GC can find a
 * pod's host-side veth from (containerId, ifname) alone, even when the container's netns is
 * already gone (the way Calico names its cali* devices):
 *
 *   host veth  "fnet" + first 11 hex digits of sha256(containerId + "/" + ifname)  (15 bytes)
 *   pod MAC    0a:58:<IPv4 octets>  (the 0a:58 locally administered prefix kubenet used), so a
 *              reused IP keeps its MAC and neighbours' ARP entries stay right; for IPv6-only
 *              pods 0a:58 + 4 bytes of the same hash
 *   bridge MAC 0a:58:<gateway IPv4 octets>, pinned at creation so the gateway's MAC does not
 *              change as ports come and go (a bridge otherwise adopts its lowest port MAC)
 */
import { createHash } from "node:crypto";

export const HOST_VETH_PREFIX = "fnet";

function digest(containerId: string, ifname: string): string {
  return createHash("sha256").update(`${containerId}/${ifname}`).digest("hex");
}

export function hostVethName(containerId: string, ifname: string): string {
  return HOST_VETH_PREFIX + digest(containerId, ifname).slice(0, 11);
}

function macFromBytes(bytes: number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** 0a:58 + the four octets of an IPv4 address. */
export function macForIpv4(ip: string): string {
  return macFromBytes([0x0a, 0x58, ...ip.split(".").map(Number)]);
}

/** The container interface's MAC: from its first IPv4 address, else from the attachment hash. */
export function podMac(addresses: string[], containerId: string, ifname: string): string {
  const v4 = addresses.find((a) => !a.includes(":"));
  if (v4) return macForIpv4(v4.split("/")[0]!);
  const h = digest(containerId, ifname);
  return macFromBytes([0x0a, 0x58, ...[0, 2, 4, 6].map((i) => Number.parseInt(h.slice(i, i + 2), 16))]);
}
