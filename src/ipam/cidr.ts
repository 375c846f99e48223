/**
 * Address math for IPv4 and IPv6 in one code path: an address is a family plus a bigint, and
 * every operation is parameterised by the family's bit width (32 or 128), so nothing here is
 * written twice. Parsing is strict in the way the Kubernetes API server is (no leading zeros
 * in IPv4 octets, no zone IDs), and formatting is canonical (IPv6 compressed per RFC 5952) so
 * that formatted addresses can be compared as strings and used as file names.
 *
 * Errors are UserErrors that quote the bad text and say what shape was expected.
 */
import { UserError } from "../util/errors.js";

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

export interface Cidr {
  family: IpFamily;
  /** The network address (host bits zero). */
  network: bigint;
  prefix: number;
}

/** An interface address such as "10.244.1.5/24": the address itself plus its network. */
export interface IpWithPrefix extends IpAddress {
  prefix: number;
  cidr: Cidr;
}

export function familyBits(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

/** All-ones mask covering the host part of a /prefix in this family. */
export function hostMask(family: IpFamily, prefix: number): bigint {
  return (1n << BigInt(familyBits(family) - prefix)) - 1n;
}

function allOnes(family: IpFamily): bigint {
  return (1n << BigInt(familyBits(family))) - 1n;
}

// ---------------------------------------------------------------------------------------------
// Parsing addresses

function parseV4(text: string): bigint | string {
  const parts = text.split(".");
  if (parts.length !== 4) return "an IPv4 address has four dot-separated octets";
  let value = 0n;
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part)) return `octet "${part}" is not a decimal number 0-255`;
    if (part.length > 1 && part.startsWith("0")) return `octet "${part}" has a leading zero`;
    const n = Number(part);
    if (n > 255) return `octet ${part} is greater than 255`;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseV6Groups(text: string, allowV4Tail: boolean): bigint[] | string {
  if (text === "") return [];
  const groups: bigint[] = [];
  const parts = text.split(":");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (allowV4Tail && i === parts.length - 1 && part.includes(".")) {
      const v4 = parseV4(part);
      if (typeof v4 === "string") return `embedded IPv4 "${part}": ${v4}`;
      groups.push(v4 >> 16n, v4 & 0xffffn);
      continue;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return `group "${part}" is not 1-4 hexadecimal digits`;
    groups.push(BigInt(`0x${part}`));
  }
  return groups;
}

function parseV6(text: string): bigint | string {
  if (text.includes("%")) return "zone identifiers (%...) are not allowed";
  const halves = text.split("::");
  if (halves.length > 2) return `"::" may appear only once`;
  const head = parseV6Groups(halves[0]!, halves.length === 1);
  if (typeof head === "string") return head;
  let groups: bigint[];
  if (halves.length === 2) {
    const tail = parseV6Groups(halves[1]!, true);
    if (typeof tail === "string") return tail;
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return `"::" must stand for at least one zero group`;
    groups = [...head, ...new Array<bigint>(missing).fill(0n), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return `an IPv6 address has eight 16-bit groups, found ${groups.length}`;
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

function tryParseIp(text: string): IpAddress | string {
  if (text.includes(":")) {
    const v = parseV6(text);
    return typeof v === "string" ? v : { family: 6, value: v };
  }
  const v = parseV4(text);
  return typeof v === "string" ? v : { family: 4, value: v };
}

/** Parse an IPv4 or IPv6 address ("10.96.0.1", "fd00::1"). */
export function parseIp(text: string): IpAddress {
  const r = tryParseIp(text);
  if (typeof r === "string") {
    throw new UserError(
      `invalid IP address "${text}": ${r}`,
      'write it like "10.244.1.5" or "fd00:10:244::5"',
    );
  }
  return r;
}

export function isIp(text: string): boolean {
  return typeof tryParseIp(text) !== "string";
}

// ---------------------------------------------------------------------------------------------
// Formatting addresses

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 0xffn).toString()).join(".");
}

function formatV6(value: bigint): string {
  const groups: number[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(Number((value >> s) & 0xffffn));
  // IPv4-mapped addresses keep their dotted tail (RFC 5952 section 5).
  if (value >> 32n === 0xffffn) return `::ffff:${formatV4(value & 0xffffffffn)}`;
  // Longest run of two or more zero groups, the first one on a tie (RFC 5952 section 4.2).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** Canonical text of an address: dotted quad, or RFC 5952 compressed lowercase IPv6. */
export function formatIp(family: IpFamily, value: bigint): string {
  if (value < 0n || value > allOnes(family)) {
    throw new RangeError(`value ${value} is outside the IPv${family} address space`);
  }
  return family === 4 ? formatV4(value) : formatV6(value);
}

/** Canonical text of any address text ("FD00:0::01" -> "fd00::1"). */
export function canonicalIp(text: string): string {
  const ip = parseIp(text);
  return formatIp(ip.family, ip.value);
}

// ---------------------------------------------------------------------------------------------
// CIDRs

function splitPrefix(text: string, kind: string): { ip: IpAddress; prefix: number } {
  const fail = (why: string): never => {
    throw new UserError(
      `invalid ${kind} "${text}": ${why}`,
      'write it like "10.244.0.0/16" or "fd00:10:244::/56"',
    );
  };
  const slash = text.indexOf("/");
  if (slash < 0) fail("missing /prefix length");
  const addrText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const ip = tryParseIp(addrText);
  if (typeof ip === "string") return fail(ip);
  if (!/^[0-9]{1,3}$/.test(prefixText) || (prefixText.length > 1 && prefixText.startsWith("0"))) {
    return fail(`prefix length "${prefixText}" is not a decimal number`);
  }
  const prefix = Number(prefixText);
  if (prefix > familyBits(ip.family)) {
    return fail(`prefix length ${prefix} is longer than ${familyBits(ip.family)} bits for IPv${ip.family}`);
  }
  return { ip, prefix };
}

/**
 * Parse "10.244.0.0/16". Non-strict (default) masks host bits away ("10.244.1.5/24" gives
 * 10.244.1.0/24); strict rejects host bits, as the API server does for podSubnet and
 * serviceSubnet.
 */
export function parseCidr(text: string, opts: { strict?: boolean } = {}): Cidr {
  const { ip, prefix } = splitPrefix(text, "CIDR");
  const hostBits = ip.value & hostMask(ip.family, prefix);
  if (opts.strict && hostBits !== 0n) {
    const network = formatCidr({ family: ip.family, network: ip.value - hostBits, prefix });
    throw new UserError(
      `invalid CIDR "${text}": host bits are set (the network address is ${network})`,
      `use ${network}`,
    );
  }
  return { family: ip.family, network: ip.value - hostBits, prefix };
}

/** Parse an interface address such as "10.244.1.5/24", keeping the address and its network. */
export function parseIpWithPrefix(text: string): IpWithPrefix {
  const { ip, prefix } = splitPrefix(text, "address with prefix");
  const network = ip.value & ~hostMask(ip.family, prefix);
  return { family: ip.family, value: ip.value, prefix, cidr: { family: ip.family, network, prefix } };
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.family, cidr.network)}/${cidr.prefix}`;
}

/** "10.244.1.5/24" from an address and a prefix length. */
export function formatIpWithPrefix(family: IpFamily, value: bigint, prefix: number): string {
  return `${formatIp(family, value)}/${prefix}`;
}

/** Number of addresses in the CIDR (a bigint: an IPv6 /64 holds 2^64). */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(familyBits(cidr.family) - cidr.prefix);
}

/** The last address of the CIDR (the IPv4 broadcast address; for IPv6 simply the last). */
export function broadcast(cidr: Cidr): bigint {
  return cidr.network + cidrSize(cidr) - 1n;
}

/** Whether the address lies in the CIDR; an IpAddress of the other family never does. */
export function cidrContains(cidr: Cidr, ip: bigint | IpAddress): boolean {
  if (typeof ip !== "bigint") {
    if (ip.family !== cidr.family) return false;
    ip = ip.value;
  }
  return ip >= cidr.network && ip <= broadcast(cidr);
}

/** Whether two CIDRs share any address (CIDRs nest or are disjoint, never partly overlap). */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  return a.network <= broadcast(b) && b.network <= broadcast(a);
}

/** The n-th address of the CIDR (0 = network address); negative n counts from the end (-1 = last). */
export function nthAddress(cidr: Cidr, n: number | bigint): bigint {
  const i = BigInt(n);
  const size = cidrSize(cidr);
  const offset = i < 0n ? size + i : i;
  if (offset < 0n || offset >= size) {
    throw new UserError(`address index ${n} is outside ${formatCidr(cidr)} (${size} addresses)`);
  }
  return cidr.network + offset;
}

/** The index-th sub-CIDR of length newPrefix inside cidr ("10.244.0.0/16", 24, 3 -> 10.244.3.0/24). */
export function subdivide(cidr: Cidr, newPrefix: number, index: number | bigint): Cidr {
  if (!Number.isInteger(newPrefix) || newPrefix < cidr.prefix || newPrefix > familyBits(cidr.family)) {
    throw new UserError(
      `cannot split ${formatCidr(cidr)} into /${newPrefix} blocks`,
      `choose a prefix length between ${cidr.prefix} and ${familyBits(cidr.family)}`,
    );
  }
  const count = 1n << BigInt(newPrefix - cidr.prefix);
  const i = BigInt(index);
  if (i < 0n || i >= count) {
    throw new UserError(
      `block index ${index} is outside ${formatCidr(cidr)} (${count} blocks of /${newPrefix})`,
    );
  }
  const step = 1n << BigInt(familyBits(cidr.family) - newPrefix);
  return { family: cidr.family, network: cidr.network + i * step, prefix: newPrefix };
}

/** Number of /newPrefix blocks in cidr. */
export function subnetCount(cidr: Cidr, newPrefix: number): bigint {
  return 1n << BigInt(newPrefix - cidr.prefix);
}

/** Order addresses: IPv4 before IPv6, then numerically. Usable with Array.prototype.sort. */
export function ipCompare(a: IpAddress, b: IpAddress): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function cidrEquals(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.network === b.network && a.prefix === b.prefix;
}
