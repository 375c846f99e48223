/**
 * The network configuration a runtime writes on stdin, decoded and validated into NetConf.
 * Pure. Decoding errors are code 6, wrong contents code 7, unsupported options code 2, and a
 * cniVersion flatnet does not speak code 1, each naming the field.
 *
 * Supported bridge-plugin fields: bridge (default "cni0"), mtu, isGateway (default true: the
 * gateway address lives on the bridge), isDefaultGateway (default true: pods route everything
 * via it), hairpinMode (default true: a pod reaches itself through a Service). Options that
 * would change the Kubernetes model (ipMasq: pod traffic is never NATed) or that flatnet does
 * not implement (promiscMode, vlan, vlanTrunk, macspoofchk) are refused when set, not ignored.
 */

import { validIfname } from "./env.js";
import { CniCode, CniError } from "./errors.js";
import { isVersionString, requireSupported } from "./version.js";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface Attachment {
  containerID: string;
  ifname: string;
}

/** Fields every plugin config has (and all an IPAM-only plugin looks at). */
export interface BaseConf {
  cniVersion: string;
  name: string;
  type: string;
  ipam?: JsonObject & { type: string };
  dns?: JsonObject;
  prevResult?: JsonObject;
  runtimeConfig?: JsonObject;
  args?: JsonObject;
  /** GC (1.1.0): attachments that must be kept. */
  validAttachments?: Attachment[];
  /** The whole decoded object, for passing on to a delegated IPAM plugin. */
  raw: JsonObject;
}

export interface BridgeConf extends BaseConf {
  bridge: string;
  mtu?: number;
  isGateway: boolean;
  isDefaultGateway: boolean;
  hairpinMode: boolean;
}

const REFUSED_FIELDS: Record<string, string> = {
  ipMasq: "pod traffic is not NATed in the Kubernetes network model; masquerade at the node's egress instead",
  promiscMode: "the bridge is not put in promiscuous mode; hairpinMode covers pod-to-itself traffic",
  vlan: "VLAN tagging is not implemented",
  vlanTrunk: "VLAN trunks are not implemented",
  macspoofchk: "MAC spoof checking is not implemented",
};

function bad(msg: string): CniError {
  return new CniError(CniCode.InvalidConfig, msg);
}

/** JSON text to an object, or code 6 naming what is wrong. */
export function decodeJsonObject(text: string, what = "network config on stdin"): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CniError(CniCode.DecodingFailure, `${what} is not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CniError(CniCode.DecodingFailure, `${what} must be a JSON object`);
  }
  return value as JsonObject;
}

function optObject(raw: JsonObject, key: string): JsonObject | undefined {
  const v = raw[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) throw bad(`"${key}" must be an object`);
  return v;
}

function optBool(raw: JsonObject, key: string, dflt: boolean): boolean {
  const v = raw[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== "boolean") throw bad(`"${key}" must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function reqString(raw: JsonObject, key: string): string {
  const v = raw[key];
  if (typeof v !== "string" || v === "") throw bad(`"${key}" is missing or not a non-empty string`);
  return v;
}

/** Only the version, for VERSION and for shaping an error when the rest is unusable. */
export function configVersion(raw: JsonObject): string | undefined {
  return isVersionString(raw.cniVersion) ? raw.cniVersion : undefined;
}

function parseAttachments(v: Json | undefined): Attachment[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw bad(`"cni.dev/valid-attachments" must be an array`);
  return v.map((a, i) => {
    if (!a || typeof a !== "object" || Array.isArray(a)) {
      throw bad(`"cni.dev/valid-attachments"[${i}] must be an object with containerID and ifname`);
    }
    const { containerID, ifname } = a;
    if (typeof containerID !== "string" || typeof ifname !== "string") {
      throw bad(`"cni.dev/valid-attachments"[${i}] needs string fields containerID and ifname`);
    }
    return { containerID, ifname };
  });
}

/** Validate the fields shared by every plugin. */
export function parseBaseConf(raw: JsonObject): BaseConf {
  if (raw.cniVersion === undefined) throw bad(`"cniVersion" is missing`);
  if (!isVersionString(raw.cniVersion)) {
    throw bad(`"cniVersion" must be a version string like "1.1.0", got ${JSON.stringify(raw.cniVersion)}`);
  }
  requireSupported(raw.cniVersion);
  const name = reqString(raw, "name");
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) {
    throw bad(
      `"name" "${name}" is not a valid network name (letters, digits, "_", ".", "-", starting with a letter or digit)`,
    );
  }
  const conf: BaseConf = {
    cniVersion: raw.cniVersion,
    name,
    type: reqString(raw, "type"),
    raw,
  };
  const ipam = optObject(raw, "ipam");
  if (ipam) {
    if (typeof ipam.type !== "string" || ipam.type === "") throw bad(`"ipam.type" is missing`);
    if (ipam.type.includes("/")) throw bad(`"ipam.type" "${ipam.type}" must be a plugin name, not a path`);
    conf.ipam = ipam as JsonObject & { type: string };
  }
  const opt = { dns: optObject(raw, "dns"), prevResult: optObject(raw, "prevResult") };
  if (opt.dns) conf.dns = opt.dns;
  if (opt.prevResult) conf.prevResult = opt.prevResult;
  const runtimeConfig = optObject(raw, "runtimeConfig");
  if (runtimeConfig) conf.runtimeConfig = runtimeConfig;
  const args = optObject(raw, "args");
  if (args) conf.args = args;
  const valid = parseAttachments(raw["cni.dev/valid-attachments"]);
  if (valid) conf.validAttachments = valid;
  return conf;
}

export function parseBridgeConf(raw: JsonObject): BridgeConf {
  const base = parseBaseConf(raw);
  for (const [field, why] of Object.entries(REFUSED_FIELDS)) {
    const v = raw[field];
    if (v !== undefined && v !== null && v !== false && v !== 0) {
      throw new CniError(CniCode.UnsupportedField, `"${field}" is not supported: ${why}`);
    }
  }
  const bridge = raw.bridge ?? "cni0";
  if (typeof bridge !== "string" || !validIfname(bridge)) {
    throw bad(`"bridge" ${JSON.stringify(bridge)} is not a valid interface name (1-15 bytes)`);
  }
  let mtu: number | undefined;
  if (raw.mtu !== undefined && raw.mtu !== null && raw.mtu !== 0) {
    if (typeof raw.mtu !== "number" || !Number.isInteger(raw.mtu) || raw.mtu < 68 || raw.mtu > 65535) {
      throw bad(`"mtu" must be an integer between 68 and 65535, got ${JSON.stringify(raw.mtu)}`);
    }
    mtu = raw.mtu;
  }
  const isGateway = optBool(raw, "isGateway", true);
  const isDefaultGateway = optBool(raw, "isDefaultGateway", isGateway);
  if (isDefaultGateway && !isGateway) {
    throw bad(`"isDefaultGateway": true needs "isGateway": true (the default route points at the bridge)`);
  }
  if (!base.ipam) throw bad(`"ipam" is missing: the bridge plugin needs an IPAM section with a "type"`);
  const conf: BridgeConf = {
    ...base,
    bridge,
    isGateway,
    isDefaultGateway,
    hairpinMode: optBool(raw, "hairpinMode", true),
  };
  if (mtu !== undefined) conf.mtu = mtu;
  return conf;
}
