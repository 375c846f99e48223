/**
 * CNI results: one internal shape (the 1.x one) and conversions at the edges. Results that
 * come in (a prevResult, a delegated IPAM plugin's answer) may be 0.4.0-shaped, with a
 * "version" per IP, or 1.x-shaped; results that go out are shaped for the config's cniVersion:
 * 0.4.0 adds "version" back, versions before 1.1.0 lose the fields 1.1.0 introduced (interface
 * mtu/socketPath/pciID, route mtu/advmss/priority/table/scope). Pure.
 */
import { parseIpWithPrefix } from "../ipam/cidr.js";
import type { Json, JsonObject } from "./config.js";
import { CniError } from "./errors.js";
import { compareVersions, usesV1Results } from "./version.js";

export interface CniInterface {
  name: string;
  mac?: string;
  mtu?: number;
  /** Set for interfaces inside the container: its netns path. */
  sandbox?: string;
}

export interface CniIpConfig {
  /** Address with prefix, e.g. "10.244.1.5/24". */
  address: string;
  gateway?: string;
  /** Index into interfaces. */
  interface?: number;
}

export interface CniRoute {
  dst: string;
  gw?: string;
  mtu?: number;
  advmss?: number;
  priority?: number;
  table?: number;
  scope?: number;
}

export interface CniResult {
  cniVersion: string;
  interfaces: CniInterface[];
  ips: CniIpConfig[];
  routes: CniRoute[];
  dns: JsonObject;
}

function fail(code: number, what: string, why: string): CniError {
  return new CniError(code, `${what}: ${why}`);
}

function asObject(v: Json | undefined, code: number, what: string): JsonObject {
  if (!v || typeof v !== "object" || Array.isArray(v)) throw fail(code, what, "must be a JSON object");
  return v;
}

function asArray(v: Json | undefined, code: number, what: string): Json[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw fail(code, what, "must be an array");
  return v;
}

function optString(o: JsonObject, key: string, code: number, what: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw fail(code, `${what}.${key}`, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function optInt(o: JsonObject, key: string, code: number, what: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw fail(code, `${what}.${key}`, `must be an integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function checkCidrText(text: string, code: number, what: string): void {
  try {
    parseIpWithPrefix(text);
  } catch (e) {
    throw fail(code, what, (e as Error).message);
  }
}

/**
 * Decode a result of any supported version. `code` is what a malformed one is reported as
 * (7 for a prevResult in the config, 6 for an IPAM plugin's stdout); `what` names its source.
 */
export function parseResult(value: Json | undefined, code: number, what: string): CniResult {
  const o = asObject(value, code, what);
  const cniVersion = typeof o.cniVersion === "string" ? o.cniVersion : "1.0.0";
  const interfaces = asArray(o.interfaces, code, `${what}.interfaces`).map((v, i) => {
    const w = `${what}.interfaces[${i}]`;
    const io = asObject(v, code, w);
    const name = optString(io, "name", code, w);
    if (!name) throw fail(code, w, `has no "name"`);
    const out: CniInterface = { name };
    const mac = optString(io, "mac", code, w);
    if (mac) out.mac = mac;
    const mtu = optInt(io, "mtu", code, w);
    if (mtu !== undefined) out.mtu = mtu;
    const sandbox = optString(io, "sandbox", code, w);
    if (sandbox) out.sandbox = sandbox;
    return out;
  });
  const ips = asArray(o.ips, code, `${what}.ips`).map((v, i) => {
    const w = `${what}.ips[${i}]`;
    const io = asObject(v, code, w);
    const address = optString(io, "address", code, w);
    if (!address) throw fail(code, w, `has no "address"`);
    checkCidrText(address, code, `${w}.address`);
    const out: CniIpConfig = { address };
    const gateway = optString(io, "gateway", code, w);
    if (gateway) out.gateway = gateway;
    const iface = optInt(io, "interface", code, w);
    if (iface !== undefined) {
      if (iface < 0 || iface >= interfaces.length) {
        throw fail(code, `${w}.interface`, `${iface} does not index the ${interfaces.length} interfaces`);
      }
      out.interface = iface;
    }
    return out;
  });
  const routes = asArray(o.routes, code, `${what}.routes`).map((v, i) =>
    parseRoute(v, code, `${what}.routes[${i}]`),
  );
  const dns = o.dns === undefined || o.dns === null ? {} : asObject(o.dns, code, `${what}.dns`);
  return { cniVersion, interfaces, ips, routes, dns };
}

export function parseRoute(v: Json, code: number, what: string): CniRoute {
  const ro = asObject(v, code, what);
  const dst = optString(ro, "dst", code, what);
  if (!dst) throw fail(code, what, `has no "dst"`);
  checkCidrText(dst, code, `${what}.dst`);
  const out: CniRoute = { dst };
  const gw = optString(ro, "gw", code, what);
  if (gw) out.gw = gw;
  for (const k of ["mtu", "advmss", "priority", "table", "scope"] as const) {
    const n = optInt(ro, k, code, what);
    if (n !== undefined) out[k] = n;
  }
  return out;
}

function ipFamily(address: string): "4" | "6" {
  return address.includes(":") ? "6" : "4";
}

/** The result as JSON for a runtime that asked with `version`. */
export function formatResult(result: CniResult, version: string): JsonObject {
  const modern = compareVersions(version, "1.1.0") >= 0;
  const interfaces: Json[] = result.interfaces.map((i) => {
    const o: JsonObject = { name: i.name };
    if (i.mac) o.mac = i.mac;
    if (modern && i.mtu !== undefined) o.mtu = i.mtu;
    if (i.sandbox) o.sandbox = i.sandbox;
    return o;
  });
  const ips: Json[] = result.ips.map((ip) => {
    const o: JsonObject = {};
    if (!usesV1Results(version)) o.version = ipFamily(ip.address);
    o.address = ip.address;
    if (ip.gateway) o.gateway = ip.gateway;
    if (ip.interface !== undefined) o.interface = ip.interface;
    return o;
  });
  const routes: Json[] = result.routes.map((r) => {
    const o: JsonObject = { dst: r.dst };
    if (r.gw) o.gw = r.gw;
    if (modern) {
      for (const k of ["mtu", "advmss", "priority", "table", "scope"] as const) {
        if (r[k] !== undefined) o[k] = r[k];
      }
    }
    return o;
  });
  const out: JsonObject = { cniVersion: version };
  if (interfaces.length) out.interfaces = interfaces;
  out.ips = ips;
  if (routes.length) out.routes = routes;
  out.dns = result.dns;
  return out;
}

export function emptyResult(version: string): CniResult {
  return { cniVersion: version, interfaces: [], ips: [], routes: [], dns: {} };
}
