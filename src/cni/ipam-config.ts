/**
 * The `ipam` section for flatnet-ipam, in host-local's shape so configs move between the two:
 *
 *   { "type": "flatnet-ipam", "dataDir"?: "/run/flatnet/ipam",
 *     "ranges": [[{ "subnet": "10.244.1.0/24", "rangeStart"?, "rangeEnd"?, "gateway"? }]],
 *     "routes"?: [{ "dst": "0.0.0.0/0", "gw"? }] }
 *
 * or the single-range shorthand { "subnet", "rangeStart", "rangeEnd", "gateway" }. Each inner
 * list is a range set: one address is allocated per set (one IPv4 set and one IPv6 set make a
 * dual-stack pod). Requested addresses come from CNI_ARGS "IP=a,b", args.cni.ips or
 * runtimeConfig.ips, as host-local reads them. Pure; every error is code 7 naming the field.
 */
import { type Cidr, cidrContains, formatCidr, parseCidr, parseIp } from "../ipam/cidr.js";
import type { BaseConf, Json, JsonObject } from "./config.js";
import type { CniInvocation } from "./env.js";
import { CniCode, CniError } from "./errors.js";
import { type CniRoute, parseRoute } from "./result.js";

/**
 * Default store: on /run, which is tmpfs on most hosts. Pod addresses should live exactly as
 * long as pods do, and pods do not survive a reboot (host-local's /var/lib/cni/networks
 * default famously leaks addresses across reboots); on tmpfs the store's fsyncs are free.
 */
export const DEFAULT_IPAM_DATA_DIR = "/run/flatnet/ipam";

export interface IpamRange {
  subnet: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

export interface FlatnetIpamConf {
  dataDir: string;
  network: string;
  ranges: IpamRange[][];
  routes: CniRoute[];
  requestedIps: string[];
}

function bad(msg: string): CniError {
  return new CniError(CniCode.InvalidConfig, msg);
}

function optIp(o: JsonObject, key: string, subnet: Cidr, where: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") throw bad(`${where}.${key} must be a string IP address`);
  let ip: ReturnType<typeof parseIp>;
  try {
    ip = parseIp(v);
  } catch (e) {
    throw bad(`${where}.${key}: ${(e as Error).message}`);
  }
  if (!cidrContains(subnet, ip)) throw bad(`${where}.${key} ${v} is outside subnet ${formatCidr(subnet)}`);
  return v;
}

function parseRange(v: Json, where: string): IpamRange {
  if (!v || typeof v !== "object" || Array.isArray(v))
    throw bad(`${where} must be an object with a "subnet"`);
  if (typeof v.subnet !== "string" || v.subnet === "") throw bad(`${where}.subnet is missing`);
  let subnet: Cidr;
  try {
    subnet = parseCidr(v.subnet, { strict: true });
  } catch (e) {
    throw bad(`${where}.subnet: ${(e as Error).message}`);
  }
  const maxPrefix = subnet.family === 4 ? 30 : 126;
  if (subnet.prefix > maxPrefix) {
    throw bad(`${where}.subnet ${v.subnet} is too small to hold a gateway and pods (at most /${maxPrefix})`);
  }
  const out: IpamRange = { subnet: formatCidr(subnet) };
  for (const key of ["rangeStart", "rangeEnd", "gateway"] as const) {
    const ip = optIp(v, key, subnet, where);
    if (ip) out[key] = ip;
  }
  return out;
}

function parseRanges(ipam: JsonObject): IpamRange[][] {
  if (ipam.ranges !== undefined && ipam.ranges !== null) {
    if (!Array.isArray(ipam.ranges) || ipam.ranges.length === 0) {
      throw bad(`ipam.ranges must be a non-empty list of range sets, e.g. [[{"subnet":"10.244.1.0/24"}]]`);
    }
    if (ipam.subnet !== undefined) throw bad(`ipam: give either "ranges" or "subnet", not both`);
    return ipam.ranges.map((set, i) => {
      if (!Array.isArray(set) || set.length === 0)
        throw bad(`ipam.ranges[${i}] must be a non-empty list of ranges`);
      const ranges = set.map((r, j) => parseRange(r, `ipam.ranges[${i}][${j}]`));
      const fam = (r: IpamRange) => (r.subnet.includes(":") ? 6 : 4);
      if (ranges.some((r) => fam(r) !== fam(ranges[0]!))) {
        throw bad(`ipam.ranges[${i}] mixes IPv4 and IPv6 ranges; put each family in its own range set`);
      }
      return ranges;
    });
  }
  if (ipam.subnet !== undefined) return [[parseRange(ipam, "ipam")]];
  throw bad(`ipam needs "ranges" (or the "subnet" shorthand), e.g. "ranges": [[{"subnet":"10.244.1.0/24"}]]`);
}

function stringList(v: Json | undefined, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string"))
    throw bad(`${where} must be a list of IP strings`);
  return v as string[];
}

/** Requested addresses: CNI_ARGS IP=..., then args.cni.ips, then runtimeConfig.ips (host-local's order). */
export function requestedIps(conf: BaseConf, inv: CniInvocation): string[] {
  const out: string[] = [];
  if (inv.args.IP) out.push(...inv.args.IP.split(",").filter((s) => s !== ""));
  const cniArgs = conf.args?.cni;
  if (cniArgs && typeof cniArgs === "object" && !Array.isArray(cniArgs))
    out.push(...stringList(cniArgs.ips, "args.cni.ips"));
  out.push(...stringList(conf.runtimeConfig?.ips, "runtimeConfig.ips"));
  // Requested IPs may carry a prefix ("10.244.1.9/24"), as runtimeConfig.ips does.
  return out.map((ip) => {
    const addr = ip.split("/")[0]!;
    try {
      parseIp(addr);
    } catch (e) {
      throw bad(`requested IP: ${(e as Error).message}`);
    }
    return addr;
  });
}

export function parseFlatnetIpamConf(conf: BaseConf, inv: CniInvocation): FlatnetIpamConf {
  const ipam = conf.ipam;
  if (!ipam) throw bad(`"ipam" is missing`);
  const dataDir = ipam.dataDir ?? DEFAULT_IPAM_DATA_DIR;
  if (typeof dataDir !== "string" || !dataDir.startsWith("/"))
    throw bad(`ipam.dataDir must be an absolute path`);
  const routes = (() => {
    if (ipam.routes === undefined || ipam.routes === null) return [];
    if (!Array.isArray(ipam.routes)) throw bad(`ipam.routes must be a list of {"dst": CIDR, "gw"?: IP}`);
    return ipam.routes.map((r, i) => parseRoute(r, CniCode.InvalidConfig, `ipam.routes[${i}]`));
  })();
  return {
    dataDir,
    network: conf.name,
    ranges: parseRanges(ipam),
    routes,
    requestedIps: requestedIps(conf, inv),
  };
}
