/**
 * DNS name helpers for the cluster zone. Names are handled as text without the trailing dot,
 * compared after ASCII-only lower-casing (DNS is case-insensitive for A-Z only: a Unicode
 * lower-casing would let "\u212Aubernetes" match "kubernetes"). Reverse names come from the
 * one bigint IP code path in src/ipam/cidr.ts, so IPv4 and IPv6 share it.
 */
import { formatIp, isIp, parseIp } from "../ipam/cidr.js";

const UPPER = /[A-Z]/;

/** ASCII lower case, without a trailing dot; "." (the root) becomes "". */
export function canonicalName(name: string): string {
  let n = name.endsWith(".") ? name.slice(0, -1) : name;
  if (UPPER.test(n)) n = n.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  return n;
}

/** True when `name` is `zone` or below it (both canonical). */
export function inZone(name: string, zone: string): boolean {
  return (
    name === zone ||
    (name.length > zone.length && name.endsWith(zone) && name[name.length - zone.length - 1] === ".")
  );
}

/** The name with its first label removed ("a.b.c" -> "b.c", "a" -> ""). */
export function parentName(name: string): string {
  const dot = name.indexOf(".");
  return dot < 0 ? "" : name.slice(dot + 1);
}

/** The reverse-lookup name of an IP: "5.1.244.10.in-addr.arpa" or 32 nibbles + ".ip6.arpa". */
export function reverseName(ip: string): string {
  const addr = parseIp(ip);
  if (addr.family === 4) {
    const out: string[] = [];
    for (let s = 0n; s < 32n; s += 8n) out.push(((addr.value >> s) & 0xffn).toString());
    return `${out.join(".")}.in-addr.arpa`;
  }
  const out: string[] = [];
  for (let s = 0n; s < 128n; s += 4n) out.push(((addr.value >> s) & 0xfn).toString(16));
  return `${out.join(".")}.ip6.arpa`;
}

export const REVERSE_ZONES = ["in-addr.arpa", "ip6.arpa"] as const;

/** "in-addr.arpa" or "ip6.arpa" when the name lies in one, else undefined. */
export function reverseZoneOf(name: string): string | undefined {
  return REVERSE_ZONES.find((z) => inZone(name, z));
}

/** An IP as one DNS label: "10-244-1-5", "fd00-10-244--5" (the pod-record and endpoint form). */
export function dashedIp(ip: string): string {
  const addr = parseIp(ip);
  return formatIp(addr.family, addr.value).replace(/[.:]/g, "-");
}

/**
 * The IP a dashed label stands for, canonical, or undefined when it is not one. Four
 * dash-separated parts are IPv4; anything else is read as IPv6 with dashes for colons.
 */
export function parseDashedIp(label: string): string | undefined {
  const v4 = label.replace(/-/g, ".");
  const text = label.split("-").length === 4 && isIp(v4) ? v4 : label.replace(/-/g, ":");
  if (!isIp(text)) return undefined;
  const addr = parseIp(text);
  return formatIp(addr.family, addr.value);
}
