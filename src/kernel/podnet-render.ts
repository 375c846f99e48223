/**
 * Renders planned pod-network operations as the scripts the real kernel port runs, in order:
 *   1. `ip -batch -`: removals, links, addresses, neighbours,
 *   2. `sysctl -w key=value ...` (inside the node namespace; after 1, so new devices exist),
 *   3. `bridge -batch -`: VXLAN FDB entries (iproute2's `ip` has no fdb command),
 *   4. `ip -batch -`: routes, last, so traffic is steered only into a finished path.
 * Pure, so the exact command lines are unit tested.
 */
import { FLATNET_ROUTE_PROTO } from "../model/podnet.js";
import type { PodNetOp } from "./podnet-plan.js";

export interface PodNetScripts {
  ip: string[];
  sysctl: string[];
  bridge: string[];
  routes: string[];
}

const PROTO = `proto ${FLATNET_ROUTE_PROTO}`;

export function renderOp(op: PodNetOp): { script: keyof PodNetScripts; lines: string[] } {
  switch (op.op) {
    case "sysctl-set":
      return { script: "sysctl", lines: [`${op.key}=${op.value}`] };
    case "route-del": {
      const r = op.route;
      const parts = [`route del ${r.dst}`];
      if (r.via) parts.push(`via ${r.via}`);
      if (r.dev) parts.push(`dev ${r.dev}`);
      parts.push(PROTO);
      if (r.metric) parts.push(`metric ${r.metric}`);
      return { script: "ip", lines: [parts.join(" ")] };
    }
    case "neigh-del":
      return { script: "ip", lines: [`neigh del ${op.neigh.ip} dev ${op.neigh.dev}`] };
    case "fdb-del":
      return { script: "bridge", lines: [`fdb del ${op.fdb.mac} dev ${op.fdb.dev} dst ${op.fdb.dst} self`] };
    case "addr-del":
      return { script: "ip", lines: [`address del ${op.addr.address} dev ${op.addr.dev}`] };
    case "link-del":
      return { script: "ip", lines: [`link del ${op.name}`] };
    case "link-add": {
      const l = op.link;
      // `ip link add` ignores `alias`, so it is set by a second line in the same batch.
      return {
        script: "ip",
        lines: [
          `link add ${l.name} mtu ${l.mtu} address ${l.mac} type vxlan id ${l.vni} local ${l.local} dev ${l.dev} dstport ${l.port}${l.learning ? "" : " nolearning"}`,
          `link set ${l.name} alias ${l.alias} up`,
        ],
      };
    }
    case "link-set": {
      const parts = [`link set ${op.name}`];
      if (op.mtu !== undefined) parts.push(`mtu ${op.mtu}`);
      if (op.mac !== undefined) parts.push(`address ${op.mac}`);
      if (op.alias !== undefined) parts.push(`alias ${op.alias}`);
      parts.push("up");
      return { script: "ip", lines: [parts.join(" ")] };
    }
    case "addr-add":
      return { script: "ip", lines: [`address add ${op.addr.address} dev ${op.addr.dev}`] };
    case "neigh-replace":
      return {
        script: "ip",
        lines: [`neigh replace ${op.neigh.ip} lladdr ${op.neigh.lladdr} dev ${op.neigh.dev} nud permanent`],
      };
    case "fdb-replace":
      return {
        script: "bridge",
        lines: [`fdb replace ${op.fdb.mac} dev ${op.fdb.dev} dst ${op.fdb.dst} self permanent`],
      };
    case "route-replace": {
      const r = op.route;
      return {
        script: "routes",
        lines: [`route replace ${r.dst} via ${r.via} dev ${r.dev}${r.onlink ? " onlink" : ""} ${PROTO}`],
      };
    }
  }
}

export function renderPodNetOps(ops: PodNetOp[]): PodNetScripts {
  const scripts: PodNetScripts = { ip: [], sysctl: [], bridge: [], routes: [] };
  for (const op of ops) {
    const { script, lines } = renderOp(op);
    scripts[script].push(...lines);
  }
  return scripts;
}

/** One line per operation, for logs and reports ("ip route replace ...", "sysctl ..."). */
export function describeOps(ops: PodNetOp[]): string[] {
  return ops.flatMap((op) => {
    const { script, lines } = renderOp(op);
    const tool = script === "sysctl" ? "sysctl -w" : script === "bridge" ? "bridge" : "ip";
    return lines.map((l) => `${tool} ${l}`);
  });
}
