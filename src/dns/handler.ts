/**
 * One DNS query in, one response out: the protocol decisions between the socket (server.ts)
 * and the zone (lookup.ts). Class other than IN/ANY: REFUSED. AXFR/IXFR (no zone transfer)
 * and the obsolete MAILA/MAILB: NOTIMP. OPT or type 0 as the question type: FORMERR. Cluster
 * names: the zone's authoritative answer (AA=1); ExternalName targets outside the cluster are
 * chased upstream and appended, as the spec's example shows. Other names: forwarded to the
 * upstreams (RA=1), or REFUSED when none are configured (we are not an open resolver of last
 * resort that invents answers).
 *
 * Zone answers are cached as encoded bytes keyed by the query bytes after the ID (so flags,
 * question case and EDNS are all part of the key), and the whole cache is dropped whenever
 * the zone's generation moves: a hit is an ID patch and a copy. Forwarded answers are not
 * cached. Any exception inside is a bug: the client gets SERVFAIL, the server keeps going.
 */
import { Forwarder } from "./forward.js";
import { QTYPE, RCODE, resolve, type ZoneAnswer } from "./lookup.js";
import {
  encodeQuestion,
  encodeResponse,
  errorReply,
  parseQuery,
  type Query,
  type ResponseParts,
  TCP_MAX_SIZE,
  udpLimit,
} from "./message.js";
import type { Zone } from "./zone.js";

export type Transport = "udp" | "tcp";

export interface HandlerOptions {
  zone: Zone;
  /** False until the first full sync: cluster names are SERVFAIL meanwhile. */
  ready: () => boolean;
  forwarder?: Forwarder;
  /** Encoded zone answers kept; 0 disables the cache. Default 20,000. */
  cacheEntries?: number;
}

export interface HandlerStats {
  queries: number;
  cacheHits: number;
  forwarded: number;
  internalErrors: number;
  cacheEntries: number;
  forwardsInFlight: number;
}

const NOT_IMPLEMENTED = new Set<number>([QTYPE.AXFR, QTYPE.IXFR, QTYPE.MAILA, QTYPE.MAILB]);

export class QueryHandler {
  private readonly cache = new Map<string, Buffer>();
  private cacheGeneration = -1;
  private readonly cacheMax: number;
  private readonly forwarder: Forwarder;
  private readonly counts = { queries: 0, cacheHits: 0, forwarded: 0, internalErrors: 0 };
  /** Called with each internal error (a bug); default: nothing. */
  onInternalError: (err: unknown) => void = () => {};

  constructor(private readonly opts: HandlerOptions) {
    this.cacheMax = opts.cacheEntries ?? 20_000;
    this.forwarder = opts.forwarder ?? new Forwarder({ servers: [] });
  }

  stats(): HandlerStats {
    return {
      ...this.counts,
      cacheEntries: this.cache.size,
      forwardsInFlight: this.forwarder.inflight,
    };
  }

  /** The response bytes, or undefined to send nothing (runt packets, responses). */
  handle(msg: Buffer, transport: Transport): Buffer | undefined | Promise<Buffer | undefined> {
    this.counts.queries++;
    try {
      const key = this.cacheMax > 0 ? this.cacheKey(msg, transport) : undefined;
      const hit = key === undefined ? undefined : this.cache.get(key);
      if (hit) {
        this.counts.cacheHits++;
        const out = Buffer.allocUnsafe(hit.length);
        hit.copy(out);
        out[0] = msg[0]!;
        out[1] = msg[1]!;
        return out;
      }
      const parsed = parseQuery(msg);
      if (!parsed.ok) return parsed.reply;
      const q = parsed.query;
      const limit = transport === "udp" ? udpLimit(q) : TCP_MAX_SIZE;
      const refuse = this.precheck(q);
      if (refuse !== undefined) return encodeResponse(q, { rcode: refuse }, limit);
      const res = resolve(this.opts.zone, q.qname, q.qtype, this.opts.ready());
      if (res.kind === "outside") return this.forward(q, limit, msg);
      if (res.chase !== undefined) return this.chase(q, res, limit, msg);
      const out = encodeResponse(q, { ...res, aa: true, ra: this.forwarder.configured }, limit);
      if (key !== undefined && res.rcode !== RCODE.SERVFAIL) this.remember(key, out);
      return out;
    } catch (err) {
      return this.internalError(err, msg);
    }
  }

  private cacheKey(msg: Buffer, transport: Transport): string | undefined {
    if (msg.length < 12 || msg.length > 512) return undefined;
    if (this.cacheGeneration !== this.opts.zone.generation) {
      this.cache.clear();
      this.cacheGeneration = this.opts.zone.generation;
    }
    return (transport === "udp" ? "u" : "t") + msg.toString("latin1", 2);
  }

  private remember(key: string, out: Buffer): void {
    if (this.cache.size >= this.cacheMax) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, out);
  }

  private precheck(q: Query): number | undefined {
    if (q.qclass !== 1 && q.qclass !== 255) return RCODE.REFUSED;
    if (q.qtype === QTYPE.OPT || q.qtype === 0) return RCODE.FORMERR;
    if (NOT_IMPLEMENTED.has(q.qtype)) return RCODE.NOTIMP;
    return undefined;
  }

  private async forward(q: Query, limit: number, msg: Buffer): Promise<Buffer | undefined> {
    try {
      if (!this.forwarder.configured) return encodeResponse(q, { rcode: RCODE.REFUSED }, limit);
      this.counts.forwarded++;
      const reply = await this.forwarder.exchange(q.question);
      const parts: ResponseParts = reply
        ? { ...reply.parts, aa: false, ra: true }
        : { rcode: RCODE.SERVFAIL, ra: true };
      return encodeResponse(q, parts, limit);
    } catch (err) {
      return this.internalError(err, msg);
    }
  }

  /** An ExternalName pointing outside the cluster: resolve the target upstream and append. */
  private async chase(q: Query, res: ZoneAnswer, limit: number, msg: Buffer): Promise<Buffer | undefined> {
    try {
      if (!this.forwarder.configured) return encodeResponse(q, { ...res, aa: true }, limit);
      this.counts.forwarded++;
      const reply = await this.forwarder.exchange(encodeQuestion(res.chase!, q.qtype));
      if (!reply) return encodeResponse(q, { rcode: RCODE.SERVFAIL, answers: res.answers, ra: true }, limit);
      const p = reply.parts;
      return encodeResponse(
        q,
        {
          rcode: p.rcode,
          aa: true,
          ra: true,
          answers: [...res.answers, ...(p.answers ?? [])],
          authorities: p.authorities ?? [],
          additionals: p.additionals ?? [],
        },
        limit,
      );
    } catch (err) {
      return this.internalError(err, msg);
    }
  }

  private internalError(err: unknown, msg: Buffer): Buffer | undefined {
    this.counts.internalErrors++;
    this.onInternalError(err);
    return errorReply(msg, RCODE.SERVFAIL);
  }
}
