/**
 * Reconciliation plan: the operations that turn a node's kernel (a KernelSnapshot) into the
 * desired NodePodNetwork, touching only what flatnet owns (see src/model/podnet.ts):
 * add what is missing, replace what differs, remove what is stale, nothing else. Planning the
 * same desired state against a kernel that already matches gives no operations, which is what
 * makes applying idempotent and cheap to repeat.
 *
 * A VXLAN device's VNI, port, local address and underlay device cannot be changed in place,
 * so a link whose attributes differ is deleted and created again; entries that lived on a
 * deleted link vanish with it (the kernel removes its addresses, neighbours, FDB entries and
 * routes), so the plan re-adds them instead of deleting them one by one.
 *
 * Operations come out in dependency order: removals (routes first), links, addresses,
 * neighbours, sysctls (a device's own keys exist only once it does), FDB entries, and routes
 * last, so a route never points into a path that is not fully built. A per-device sysctl of
 * a device created or recreated by the plan is always set: a new device starts from the
 * namespace's defaults, whatever the old one had.
 */
import {
  type AddressSpec,
  type FdbSpec,
  FLATNET_ROUTE_PROTO,
  type LinkSpec,
  type NeighbourSpec,
  type NodePodNetwork,
  OWNED_LINK_ALIAS_PREFIX,
  type RouteSpec,
} from "../model/podnet.js";
import { UserError } from "../util/errors.js";
import type { KernelSnapshot, ObservedLink, ObservedRoute } from "./podnet-snapshot.js";

export type PodNetOp =
  | { op: "sysctl-set"; key: string; value: string }
  | { op: "route-del"; route: ObservedRoute }
  | { op: "neigh-del"; neigh: NeighbourSpec }
  | { op: "fdb-del"; fdb: FdbSpec }
  | { op: "addr-del"; addr: AddressSpec }
  | { op: "link-del"; name: string }
  /** Creates the link and sets its alias and state up. */
  | { op: "link-add"; link: LinkSpec }
  | { op: "link-set"; name: string; mtu?: number; mac?: string; alias?: string; up: true }
  | { op: "addr-add"; addr: AddressSpec }
  | { op: "neigh-replace"; neigh: NeighbourSpec }
  | { op: "fdb-replace"; fdb: FdbSpec }
  | { op: "route-replace"; route: RouteSpec };

const ORDER: PodNetOp["op"][] = [
  "route-del",
  "neigh-del",
  "fdb-del",
  "addr-del",
  "link-del",
  "link-add",
  "link-set",
  "addr-add",
  "neigh-replace",
  "sysctl-set",
  "fdb-replace",
  "route-replace",
];

export const OWNED_PROTOCOL = String(FLATNET_ROUTE_PROTO);

export function isOwnedLink(link: ObservedLink): boolean {
  return link.alias?.startsWith(OWNED_LINK_ALIAS_PREFIX) ?? false;
}

function vxlanMatches(want: LinkSpec, have: ObservedLink): boolean {
  const v = have.vxlan;
  return (
    v !== undefined &&
    v.vni === want.vni &&
    v.port === want.port &&
    v.local === want.local &&
    v.dev === want.dev &&
    v.learning === want.learning
  );
}

/** Check the desired state is self-consistent (a bug in a backend otherwise). */
function checkDesired(want: NodePodNetwork): void {
  const linkNames = new Set(want.links.map((l) => l.name));
  if (linkNames.size !== want.links.length) throw new Error(`${want.backend}: a link is listed twice`);
  const onOwnedLink = (what: string, dev: string) => {
    if (!linkNames.has(dev))
      throw new Error(`${want.backend}: ${what} on ${dev}, which is not a link it owns`);
  };
  for (const a of want.addresses) onOwnedLink(`address ${a.address}`, a.dev);
  for (const n of want.neighbours) onOwnedLink(`neighbour ${n.ip}`, n.dev);
  for (const f of want.fdb) onOwnedLink(`FDB entry ${f.mac}`, f.dev);
  const unique = (what: string, keys: string[]) => {
    if (new Set(keys).size !== keys.length) throw new Error(`${want.backend}: duplicate ${what}`);
  };
  unique(
    "route destination",
    want.routes.map((r) => r.dst),
  );
  unique(
    "neighbour",
    want.neighbours.map((n) => `${n.dev} ${n.ip}`),
  );
  unique(
    "FDB MAC",
    want.fdb.map((f) => `${f.dev} ${f.mac}`),
  );
  unique(
    "sysctl",
    want.sysctls.map((s) => s.key),
  );
}

interface LinkPlan {
  ops: PodNetOp[];
  /** Desired links that exist and stay (not created or recreated): their entries still count. */
  kept: Set<string>;
}

function planLinks(have: KernelSnapshot, want: NodePodNetwork): LinkPlan {
  const ops: PodNetOp[] = [];
  const kept = new Set<string>();
  const byName = new Map(have.links.map((l) => [l.name, l]));
  for (const link of want.links) {
    if (!byName.has(link.dev)) {
      throw new UserError(
        `underlay device ${link.dev} does not exist, so ${link.name} cannot be created on it`,
        `create the node's ${link.dev} first, or pass its real name as underlayDev`,
      );
    }
    const cur = byName.get(link.name);
    if (cur === undefined) {
      ops.push({ op: "link-add", link });
      continue;
    }
    if (cur.kind !== link.kind) {
      if (isOwnedLink(cur)) {
        ops.push({ op: "link-del", name: cur.name }, { op: "link-add", link });
        continue;
      }
      throw new UserError(
        `a ${cur.kind ?? "plain"} link named ${link.name} exists and was not made by flatnet; the ${want.backend} backend needs that name for its ${link.kind} device`,
        `delete it (ip link del ${link.name}) or stop whatever created it`,
      );
    }
    if (!vxlanMatches(link, cur)) {
      ops.push({ op: "link-del", name: cur.name }, { op: "link-add", link });
      continue;
    }
    kept.add(link.name);
    const set: Extract<PodNetOp, { op: "link-set" }> = { op: "link-set", name: link.name, up: true };
    if (cur.mtu !== link.mtu) set.mtu = link.mtu;
    if (cur.mac.toLowerCase() !== link.mac) set.mac = link.mac;
    if (cur.alias !== link.alias) set.alias = link.alias;
    if (set.mtu !== undefined || set.mac !== undefined || set.alias !== undefined || !cur.up) ops.push(set);
  }
  const wanted = new Set(want.links.map((l) => l.name));
  for (const cur of have.links) {
    if (isOwnedLink(cur) && !wanted.has(cur.name)) ops.push({ op: "link-del", name: cur.name });
  }
  return { ops, kept };
}

/** Remove observed-but-unwanted entries and add wanted-but-missing ones, by key. */
function diffByKey<T>(
  have: T[],
  want: T[],
  key: (x: T) => string,
  same: (a: T, b: T) => boolean,
  del: (x: T) => PodNetOp,
  put: (x: T) => PodNetOp,
): PodNetOp[] {
  const ops: PodNetOp[] = [];
  const wantByKey = new Map(want.map((x) => [key(x), x]));
  const haveByKey = new Map(have.map((x) => [key(x), x]));
  for (const [k, x] of haveByKey) if (!wantByKey.has(k)) ops.push(del(x));
  for (const [k, x] of wantByKey) {
    const cur = haveByKey.get(k);
    if (cur === undefined || !same(cur, x)) ops.push(put(x));
  }
  return ops;
}

function planRoutes(have: KernelSnapshot, want: NodePodNetwork, gone: (dev?: string) => boolean): PodNetOp[] {
  const devices = new Set([...have.links.map((l) => l.name), ...want.links.map((l) => l.name)]);
  for (const route of want.routes) {
    if (!devices.has(route.dev)) {
      throw new UserError(
        `device ${route.dev} does not exist, so the route to ${route.dst} via ${route.via} cannot use it`,
        `create the node's ${route.dev} first, or pass its real name as underlayDev`,
      );
    }
    const foreign = have.routes.find(
      (r) => r.dst === route.dst && r.metric === 0 && r.protocol !== OWNED_PROTOCOL,
    );
    if (foreign) {
      throw new UserError(
        `a route to ${route.dst} (${foreign.via ? `via ${foreign.via} ` : ""}dev ${foreign.dev ?? "?"}, protocol ${foreign.protocol}) exists and was not made by flatnet; the ${want.backend} backend needs that destination for a peer's pods`,
        `delete it (ip route del ${route.dst}) or give the peer node another podCIDR`,
      );
    }
  }
  const owned = have.routes.filter((r) => r.protocol === OWNED_PROTOCOL && !gone(r.dev));
  const ops: PodNetOp[] = [];
  // An owned route with a non-zero metric is not one flatnet would make: stale.
  for (const r of owned) if (r.metric !== 0) ops.push({ op: "route-del", route: r });
  const current = owned.filter((r) => r.metric === 0);
  return ops.concat(
    diffByKey<ObservedRoute | RouteSpec>(
      current,
      want.routes,
      (r) => r.dst,
      (a, b) => a.via === b.via && a.dev === b.dev && a.onlink === b.onlink,
      (r) => ({ op: "route-del", route: r as ObservedRoute }),
      (r) => ({ op: "route-replace", route: r as RouteSpec }),
    ),
  );
}

/** The operations that make `have` match `want` for everything flatnet owns. */
export function planPodNetwork(have: KernelSnapshot, want: NodePodNetwork): PodNetOp[] {
  checkDesired(want);
  const links = planLinks(have, want);
  // Entries on links that stay count; those on deleted or recreated links vanish with them,
  // and entries on links flatnet does not own are not its business.
  const live = (dev: string) => links.kept.has(dev);
  const gone = (dev?: string) => dev !== undefined && deleted(links.ops, dev);

  const created = new Set(links.ops.flatMap((o) => (o.op === "link-add" ? [o.link.name] : [])));
  const sysctls: PodNetOp[] = want.sysctls
    .filter((s) => {
      const dev = sysctlDevice(s.key);
      return (
        (dev !== undefined && created.has(dev)) ||
        have.sysctls.find((h) => h.key === s.key)?.value !== s.value
      );
    })
    .map((s) => ({ op: "sysctl-set", key: s.key, value: s.value }));
  const addresses = diffByKey(
    have.addresses.filter((a) => live(a.dev)),
    want.addresses,
    (a) => `${a.dev} ${a.address}`,
    () => true,
    (a) => ({ op: "addr-del", addr: a }),
    (a) => ({ op: "addr-add", addr: a }),
  );
  const neighbours = diffByKey(
    have.neighbours.filter((n) => live(n.dev)),
    want.neighbours,
    (n) => `${n.dev} ${n.ip}`,
    (a, b) => a.lladdr.toLowerCase() === b.lladdr,
    (n) => ({ op: "neigh-del", neigh: n }),
    (n) => ({ op: "neigh-replace", neigh: n }),
  );
  const fdb = diffByKey(
    have.fdb.filter((f) => live(f.dev)),
    want.fdb,
    (f) => `${f.dev} ${f.mac.toLowerCase()} ${f.dst}`,
    () => true,
    (f) => ({ op: "fdb-del", fdb: f }),
    (f) => ({ op: "fdb-replace", fdb: f }),
  );
  const ops = [
    ...sysctls,
    ...links.ops,
    ...addresses,
    ...neighbours,
    ...fdb,
    ...planRoutes(have, want, gone),
  ];
  return ops.sort((a, b) => ORDER.indexOf(a.op) - ORDER.indexOf(b.op));
}

/** The device a per-device sysctl key belongs to (net/ipv4/conf/<dev>/...), if any. */
export function sysctlDevice(key: string): string | undefined {
  const dev = /^net\/ipv[46]\/(?:conf|neigh)\/([^/]+)\//.exec(key)?.[1];
  return dev === "all" || dev === "default" ? undefined : dev;
}

function deleted(ops: PodNetOp[], name: string): boolean {
  return ops.some((o) => o.op === "link-del" && o.name === name);
}
