/**
 * A route for the service CIDR in the node's namespace, so processes on the node itself can
 * open connections to ClusterIPs: a local connect() looks the destination up before the nat
 * output hook can DNAT it, and a lab node has no default route to fall back on (a real node's
 * default route plays this part). Unmatched ClusterIP traffic leaves by the uplink, as it
 * would through a default route. Marked with its own protocol number so the pod-network
 * reconciler (which owns proto 241) never mistakes it for its own.
 */
import { run } from "../kernel/exec.js";

export const SERVICE_ROUTE_PROTO = 242;

export async function ensureServiceRoute(netns: string, serviceCIDR: string, dev: string): Promise<void> {
  if (!netns) throw new Error("ensureServiceRoute needs a network namespace");
  await run(["ip", "route", "replace", serviceCIDR, "dev", dev, "proto", String(SERVICE_ROUTE_PROTO)], {
    netns,
  });
}
