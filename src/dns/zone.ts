/**
 * The served zone data: records indexed by owner name, contributed by "owners" (one per
 * Service, plus the static records) so an incremental update replaces exactly one owner's
 * records. It also answers the two existence questions negative answers need: does a name
 * have records, and is it an empty non-terminal (a name with no records of its own but with
 * names below it, like `shop.svc.cluster.local`), which must answer NODATA, not NXDOMAIN
 * (RFC 8020). `generation` moves on every real change so answer caches know when to drop.
 *
 * Names are canonical (src/dns/names.ts). Only names inside the cluster domain count toward
 * empty non-terminals; reverse names are looked up by exact name only.
 */
import type { SoaAnswer } from "dns-packet";
import { inZone, parentName } from "./names.js";
import type { DnsRecord } from "./records.js";

export class Zone {
  /** name -> owner -> that owner's records at the name. */
  private readonly byName = new Map<string, Map<string, DnsRecord[]>>();
  private readonly byOwner = new Map<string, DnsRecord[]>();
  private readonly ownerFingerprint = new Map<string, string>();
  /** name -> how many names with records lie strictly below it (cluster domain only). */
  private readonly below = new Map<string, number>();
  private readonly namespaces = new Set<string>();
  generation = 0;
  /** SOA serial: the Unix time of the last change. */
  serial = Math.floor(Date.now() / 1000);

  constructor(
    readonly domain: string,
    readonly ttl: number,
  ) {}

  /** Replace everything `owner` contributes. Returns false when nothing changed. */
  setOwner(owner: string, rrs: DnsRecord[]): boolean {
    const fp = JSON.stringify(rrs);
    if ((this.ownerFingerprint.get(owner) ?? "[]") === fp) return false;
    for (const r of this.byOwner.get(owner) ?? []) this.detach(owner, r.name);
    if (rrs.length) {
      this.byOwner.set(owner, rrs);
      this.ownerFingerprint.set(owner, fp);
    } else {
      this.byOwner.delete(owner);
      this.ownerFingerprint.delete(owner);
    }
    for (const r of rrs) this.attach(owner, r);
    this.touch();
    return true;
  }

  private attach(owner: string, r: DnsRecord): void {
    let owners = this.byName.get(r.name);
    if (!owners) {
      owners = new Map();
      this.byName.set(r.name, owners);
      this.countAncestors(r.name, 1);
    }
    const list = owners.get(owner);
    if (list) list.push(r);
    else owners.set(owner, [r]);
  }

  private detach(owner: string, name: string): void {
    const owners = this.byName.get(name);
    if (!owners?.delete(owner)) return;
    if (owners.size === 0) {
      this.byName.delete(name);
      this.countAncestors(name, -1);
    }
  }

  private countAncestors(name: string, delta: number): void {
    if (!inZone(name, this.domain)) return;
    for (let n = parentName(name); n && inZone(n, this.domain); n = parentName(n)) {
      const c = (this.below.get(n) ?? 0) + delta;
      if (c > 0) this.below.set(n, c);
      else this.below.delete(n);
    }
  }

  /** All records at a canonical name (any owner), or undefined when the name has none. */
  recordsAt(name: string): DnsRecord[] | undefined {
    const owners = this.byName.get(name);
    if (!owners) return undefined;
    if (owners.size === 1) return owners.values().next().value;
    return [...owners.values()].flat();
  }

  /** True for an empty non-terminal: no records of its own, records below it. */
  hasNamesBelow(name: string): boolean {
    return this.below.has(name);
  }

  setNamespace(name: string, exists: boolean): void {
    const had = this.namespaces.has(name);
    if (had === exists) return;
    if (exists) this.namespaces.add(name);
    else this.namespaces.delete(name);
    this.touch();
  }

  hasNamespace(name: string): boolean {
    return this.namespaces.has(name);
  }

  /** The SOA for negative answers and apex queries; `owner` for the reverse zones. */
  soa(owner = this.domain): SoaAnswer {
    return {
      name: owner,
      type: "SOA",
      ttl: this.ttl,
      class: "IN",
      data: {
        mname: `ns.dns.${this.domain}`,
        rname: `hostmaster.${this.domain}`,
        serial: this.serial,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
  }

  /** Every record, owner by owner (tests compare incremental and full builds with it). */
  allRecords(): DnsRecord[] {
    return [...this.byOwner.values()].flat();
  }

  /** How many names carry records (for stats and memory figures). */
  get size(): number {
    return this.byName.size;
  }

  private touch(): void {
    this.generation++;
    this.serial = Math.max(this.serial, Math.floor(Date.now() / 1000)) >>> 0;
  }
}
