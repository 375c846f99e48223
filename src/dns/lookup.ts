/**
 * Authoritative answers from the zone, as pure functions of (zone, question): the part of the
 * server that decides what a cluster name means. The result says either "answer this" (rcode,
 * answer/authority/additional records) or "not ours" (the handler forwards it upstream).
 *
 *  - Names under the cluster domain are ours: records, else NODATA for names that exist with
 *    other types or have names below them (empty non-terminals), else NXDOMAIN; negative
 *    answers carry the zone's SOA in the authority section (RFC 2308). Before the first full
 *    sync every cluster name is SERVFAIL: an empty zone would answer false NXDOMAINs.
 *  - <a-b-c-d>.<ns>.pod.<zone> is synthesised for any address in an existing namespace
 *    (CoreDNS's "pods insecure" mode); `pod.<zone>` and `<ns>.pod.<zone>` exist as empty
 *    non-terminals.
 *  - CNAMEs (ExternalName) are followed inside the zone; a target outside it is returned as
 *    `chase` for the handler to resolve upstream.
 *  - Reverse names with a PTR we know are answered; other reverse names are not ours (the
 *    cluster owns few addresses of any reverse zone), like CoreDNS's fallthrough.
 *  - ANY gets every record at the name (RFC 8482 allows less; these sets are small).
 */
import type { Answer } from "dns-packet";
import { canonicalName, inZone, parseDashedIp, reverseZoneOf } from "./names.js";
import type { DnsRecord } from "./records.js";
import type { Zone } from "./zone.js";

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export const QTYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  MAILB: 253,
  MAILA: 254,
  ANY: 255,
} as const;

const TYPE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(QTYPE).map(([k, v]) => [v, k]));
const MAX_CNAME_CHAIN = 8;

export interface ZoneAnswer {
  kind: "answer";
  rcode: number;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
  /** A CNAME chain left the zone: resolve this name (same qtype) upstream and append. */
  chase?: string;
}

export type Resolution = ZoneAnswer | { kind: "outside" };

/** The records at a canonical name, including synthesised pod records. */
function recordsAt(zone: Zone, name: string): DnsRecord[] | undefined {
  const found = zone.recordsAt(name);
  if (found) return found;
  const pod = podRecord(zone, name);
  return pod && [pod];
}

function podRecord(zone: Zone, name: string): DnsRecord | undefined {
  const suffix = `.pod.${zone.domain}`;
  if (!name.endsWith(suffix)) return undefined;
  const labels = name.slice(0, -suffix.length).split(".");
  if (labels.length !== 2 || !zone.hasNamespace(labels[1]!)) return undefined;
  const ip = parseDashedIp(labels[0]!);
  if (!ip) return undefined;
  return { name, type: ip.includes(":") ? "AAAA" : "A", ttl: zone.ttl, class: "IN", data: ip };
}

/** Empty non-terminal: no records of its own but names (or synthesised pod names) below. */
function existsWithoutRecords(zone: Zone, name: string): boolean {
  if (zone.hasNamesBelow(name)) return true;
  const podZone = `pod.${zone.domain}`;
  if (name === podZone) return true;
  return inZone(name, podZone) && name.split(".").length === podZone.split(".").length + 1
    ? zone.hasNamespace(name.slice(0, name.indexOf(".")))
    : false;
}

function matching(rrs: DnsRecord[], qtype: number): DnsRecord[] {
  if (qtype === QTYPE.ANY) return rrs;
  const t = TYPE_NAMES[qtype];
  return t ? rrs.filter((r) => r.type === t) : [];
}

/** Records with the owner name spelled as the client asked (case preserved). */
function asAsked(rrs: readonly DnsRecord[], asked: string, canonical: string): Answer[] {
  return rrs.map((r) => (r.name === canonical && asked !== canonical ? { ...r, name: asked } : r));
}

/** A/AAAA of SRV targets (and of the NS target) that the zone holds, for the additional section. */
function additionalFor(zone: Zone, answers: readonly DnsRecord[]): Answer[] {
  const out: Answer[] = [];
  const done = new Set<string>();
  for (const r of answers) {
    const target = r.type === "SRV" ? r.data.target : r.type === "NS" ? r.data : undefined;
    if (!target || done.has(target)) continue;
    done.add(target);
    for (const a of zone.recordsAt(target) ?? []) if (a.type === "A" || a.type === "AAAA") out.push(a);
  }
  return out;
}

/**
 * Resolve one question. `qname` is the name as received; `ready` is false until the zone has
 * seen its first full sync.
 */
export function resolve(zone: Zone, qname: string, qtype: number, ready: boolean): Resolution {
  const name = canonicalName(qname);
  const reverse = reverseZoneOf(name);
  if (reverse) return resolveReverse(zone, qname, name, reverse, qtype, ready);
  if (!inZone(name, zone.domain)) return { kind: "outside" };
  if (!ready) return negative(zone, RCODE.SERVFAIL, []);
  const answers: Answer[] = [];
  let current = name;
  let asked = qname.endsWith(".") ? qname.slice(0, -1) : qname;
  for (let hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
    if (current === zone.domain) return apex(zone, asked, qtype, answers);
    const rrs = recordsAt(zone, current);
    if (!rrs) {
      const rcode = existsWithoutRecords(zone, current) ? RCODE.NOERROR : RCODE.NXDOMAIN;
      return negative(zone, rcode, answers);
    }
    const cname = rrs.find((r) => r.type === "CNAME");
    if (cname && qtype !== QTYPE.CNAME && qtype !== QTYPE.ANY) {
      answers.push(...asAsked([cname], asked, current));
      const target = cname.data as string;
      if (!inZone(target, zone.domain)) return { ...positive(answers, []), chase: target };
      current = target;
      asked = target;
      continue;
    }
    const found = matching(rrs, qtype);
    if (!found.length) return negative(zone, RCODE.NOERROR, answers);
    answers.push(...asAsked(found, asked, current));
    return positive(answers, additionalFor(zone, found));
  }
  // A loop of CNAMEs inside the zone (two ExternalNames naming each other).
  return negative(zone, RCODE.SERVFAIL, []);
}

function apex(zone: Zone, asked: string, qtype: number, prior: Answer[]): ZoneAnswer {
  const rrs: DnsRecord[] = zone.recordsAt(zone.domain) ?? [];
  const soa = zone.soa();
  const all: Answer[] = [
    ...asAsked(rrs, asked, zone.domain),
    soa.name === asked ? soa : { ...soa, name: asked },
  ];
  const found = qtype === QTYPE.ANY ? all : all.filter((r) => r.type === TYPE_NAMES[qtype]);
  if (!found.length) return negative(zone, RCODE.NOERROR, prior);
  return positive(
    [...prior, ...found],
    additionalFor(
      zone,
      rrs.filter((r) => found.includes(r)),
    ),
  );
}

function resolveReverse(
  zone: Zone,
  qname: string,
  name: string,
  reverseZone: string,
  qtype: number,
  ready: boolean,
): Resolution {
  const rrs = zone.recordsAt(name);
  if (!rrs) return { kind: "outside" };
  if (!ready) return negative(zone, RCODE.SERVFAIL, []);
  const found = matching(rrs, qtype);
  if (!found.length) return { ...negative(zone, RCODE.NOERROR, []), authorities: [zone.soa(reverseZone)] };
  return positive(asAsked(found, qname.endsWith(".") ? qname.slice(0, -1) : qname, name), []);
}

function positive(answers: Answer[], additionals: Answer[]): ZoneAnswer {
  return { kind: "answer", rcode: RCODE.NOERROR, answers, authorities: [], additionals };
}

function negative(zone: Zone, rcode: number, answers: Answer[]): ZoneAnswer {
  const authorities = rcode === RCODE.SERVFAIL ? [] : [zone.soa()];
  return { kind: "answer", rcode, answers, authorities, additionals: [] };
}
