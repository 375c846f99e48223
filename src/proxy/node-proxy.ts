/**
 * The service proxy as a node agent runs it: the real nft table and conntrack tool bound to the
 * node's namespace, the service CIDR routable from the node itself, and the loop started.
 * On a restart the table is reused (a full resync in place), never deleted, so established
 * connections and affinity survive; a removed node's namespace takes the table with it.
 */
import type { ClusterSource } from "../cluster/store.js";
import { ConntrackTool } from "./conntrack.js";
import { NftProxyTable } from "./nft.js";
import { ServiceProxy } from "./proxier.js";
import { DEFAULT_MASQUERADE_MARK, PROXY_TABLE } from "./ruleset.js";
import { ensureServiceRoute } from "./service-route.js";

export interface NodeProxyOptions {
  source: ClusterSource;
  node: string;
  netns: string;
  /** Pod network (traffic from outside it to a ClusterIP is masqueraded). */
  clusterCIDR: string;
  serviceCIDR: string;
  /** Device the service CIDR is routed by, for clients on the node itself (e.g. eth0). */
  uplink?: string;
  log: (msg: string) => void;
}

export async function startNodeProxy(o: NodeProxyOptions): Promise<ServiceProxy> {
  if (o.uplink) await ensureServiceRoute(o.netns, o.serviceCIDR, o.uplink);
  const proxy = new ServiceProxy({
    source: o.source,
    node: o.node,
    config: {
      table: PROXY_TABLE,
      clusterCIDR: o.clusterCIDR,
      serviceCIDR: o.serviceCIDR,
      masqueradeMark: DEFAULT_MASQUERADE_MARK,
    },
    table: new NftProxyTable(o.netns, PROXY_TABLE),
    conntrack: new ConntrackTool(o.netns),
    log: o.log,
  });
  await proxy.start();
  return proxy;
}
