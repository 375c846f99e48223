/**
 * What the pod-network applier reads from a node's kernel, normalised: every link, every IPv4
 * address, every main-table route, every permanent neighbour, the FDB entries of the VXLAN
 * links it may own, and the sysctls it manages. The real reader fills it from `ip -j -N` and
 * `bridge -j` output (the parse functions here, unit tested on captured output); the fake
 * kernel fills it from its own state. The planner (podnet-plan.ts) decides ownership from it.
 *
 * `ip -N` prints protocol numbers instead of names, so flatnet's routes read as "241" even on
 * a machine whose /etc/iproute2/rt_protos names that number.
 */
import type { AddressSpec, FdbSpec, NeighbourSpec, SysctlSpec } from "../model/podnet.js";

export interface ObservedVxlan {
  vni: number;
  port: number;
  local?: string;
  /** Underlay device name (absent when it is gone or in another namespace). */
  dev?: string;
  learning: boolean;
}

export interface ObservedLink {
  name: string;
  /** rtnetlink kind ("vxlan", "veth", "bridge"), or undefined for plain devices like lo. */
  kind?: string;
  alias?: string;
  up: boolean;
  mtu: number;
  mac: string;
  vxlan?: ObservedVxlan;
}

export interface ObservedRoute {
  dst: string;
  via?: string;
  dev?: string;
  onlink: boolean;
  /** Protocol number as text ("241", "2" for kernel, "3" for boot). */
  protocol: string;
  metric: number;
}

export interface KernelSnapshot {
  links: ObservedLink[];
  /** IPv4 addresses of every link. */
  addresses: AddressSpec[];
  routes: ObservedRoute[];
  /** Permanent IPv4 neighbour entries of every link. */
  neighbours: NeighbourSpec[];
  /** Unicast FDB entries with a remote (dst) of the links whose FDB was read. */
  fdb: FdbSpec[];
  sysctls: SysctlSpec[];
}

/** The protocol `ip -N` prints for a route that has none (RTPROT_BOOT). */
const RTPROT_BOOT = "3";

type Json = Record<string, unknown>;

function list(json: unknown, what: string): Json[] {
  if (!Array.isArray(json))
    throw new Error(`unexpected ${what} output from iproute2: ${JSON.stringify(json)}`);
  return json as Json[];
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

export function parseLinks(json: unknown): ObservedLink[] {
  return list(json, "link").map((l) => {
    const info = (l.linkinfo ?? {}) as Json;
    const data = (info.info_data ?? {}) as Json;
    const kind = str(info.info_kind);
    const link: ObservedLink = {
      name: String(l.ifname),
      kind,
      alias: str(l.ifalias),
      up: Array.isArray(l.flags) && l.flags.includes("UP"),
      mtu: num(l.mtu) ?? 0,
      mac: str(l.address) ?? "",
    };
    if (kind === "vxlan") {
      link.vxlan = {
        vni: num(data.id) ?? -1,
        port: num(data.port) ?? -1,
        local: str(data.local),
        dev: str(data.link),
        learning: data.learning === true,
      };
    }
    return link;
  });
}

export function parseAddresses(json: unknown): AddressSpec[] {
  const out: AddressSpec[] = [];
  for (const l of list(json, "address")) {
    for (const a of (l.addr_info ?? []) as Json[]) {
      if (a.family === "inet") out.push({ dev: String(l.ifname), address: `${a.local}/${a.prefixlen}` });
    }
  }
  return out;
}

export function parseRoutes(json: unknown): ObservedRoute[] {
  return list(json, "route").map((r) => ({
    dst: String(r.dst),
    via: str(r.gateway),
    dev: str(r.dev),
    onlink: Array.isArray(r.flags) && r.flags.includes("onlink"),
    protocol: str(r.protocol) ?? RTPROT_BOOT,
    metric: num(r.metric) ?? 0,
  }));
}

export function parseNeighbours(json: unknown): NeighbourSpec[] {
  return list(json, "neighbour")
    .filter((n) => Array.isArray(n.state) && n.state.includes("PERMANENT") && str(n.lladdr) !== undefined)
    .filter((n) => !String(n.dst).includes(":"))
    .map((n) => ({ dev: String(n.dev), ip: String(n.dst), lladdr: String(n.lladdr) }));
}

/** FDB entries of one device (`bridge -j fdb show dev X` does not repeat the device name). */
export function parseFdb(dev: string, json: unknown): FdbSpec[] {
  return list(json, "fdb")
    .filter((e) => str(e.dst) !== undefined && str(e.mac) !== undefined)
    .map((e) => ({ dev, mac: String(e.mac), dst: String(e.dst) }));
}

/**
 * How `sysctl` prints a slash-form key: components joined by dots, dots inside a component
 * (a device name like flannel.1) shown as slashes: net.ipv4.conf.flannel/1.rp_filter.
 */
export function sysctlDisplayName(key: string): string {
  return key
    .split("/")
    .map((part) => part.replaceAll(".", "/"))
    .join(".");
}

/**
 * Output of `sysctl -e k1 k2 ...` ("name = value" lines; keys that do not exist, such as those
 * of a device not yet created, are absent): the value of each key, "" when absent.
 */
export function parseSysctls(keys: string[], output: string): SysctlSpec[] {
  const values = new Map<string, string>();
  for (const line of output.split("\n")) {
    const at = line.indexOf(" = ");
    if (at > 0) values.set(line.slice(0, at), line.slice(at + 3).trim());
  }
  return keys.map((key) => ({ key, value: values.get(sysctlDisplayName(key)) ?? "" }));
}

/** Output of `ip -j -batch -`: one JSON document per command, one per line. */
export function splitJsonLines(output: string): unknown[] {
  return output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}
