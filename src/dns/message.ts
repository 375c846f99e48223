/**
 * DNS messages on the wire for the cluster DNS server: turn a received query into a checked
 * `Query`, and answers into a response that fits the transport. dns-packet does the record
 * encoding and validates the whole query; the question itself is kept as the raw bytes it
 * arrived as and echoed verbatim (dns-packet would re-encode an unknown class as 0 and read
 * label bytes as UTF-8), and the query name is read from those bytes with the RFC 4343
 * escapes, so a label holding a "." can never be mistaken for two labels.
 *
 * Checks, in RFC order: shorter than a header, or a response (QR=1): dropped (answering
 * responses invites loops). Opcode other than QUERY: NOTIMP. QDCOUNT != 1, undecodable
 * sections, a compression pointer in the question, more than one OPT or an OPT not owned by
 * the root: FORMERR. EDNS version > 0: BADVERS (RFC 6891).
 *
 * Size: UDP answers fit 512 bytes, or with EDNS the client's size capped at our 1232 (the
 * DNS Flag Day 2020 value, no fragmentation); if only the additional section overflows it is
 * dropped, otherwise the answer goes out empty with TC=1 and the client retries over TCP.
 */
import dnsPacket, { type Answer, type OptAnswer } from "dns-packet";

export const EDNS_UDP_SIZE = 1232;
export const PLAIN_UDP_SIZE = 512;
export const TCP_MAX_SIZE = 65535;

const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;
const CD = 0x0010;
const BADVERS = 16;

export interface Edns {
  udpSize: number;
  dnssecOk: boolean;
}

export interface Query {
  id: number;
  opcode: number;
  rd: boolean;
  cd: boolean;
  /** The query name in presentation form, as asked (case kept), no trailing dot; "" = root. */
  qname: string;
  qtype: number;
  qclass: number;
  /** The question section exactly as received. */
  question: Buffer;
  edns?: Edns;
}

export type Parsed = { ok: true; query: Query } | { ok: false; reply?: Buffer };

export interface ResponseParts {
  rcode: number;
  aa?: boolean;
  ra?: boolean;
  answers?: Answer[];
  authorities?: Answer[];
  additionals?: Answer[];
}

/** End offset of the uncompressed name at `offset`, or -1 when malformed or compressed. */
function nameEnd(buf: Buffer, offset: number): number {
  let o = offset;
  for (let total = 0; o < buf.length; ) {
    const len = buf[o]!;
    if (len === 0) return o + 1;
    if (len > 63) return -1; // compression pointer or reserved label type
    total += len + 1;
    if (total > 254) return -1;
    o += len + 1;
  }
  return -1;
}

/** Presentation form of a wire name (RFC 4343 escapes for ".", "\\" and non-printables). */
function nameText(buf: Buffer, offset: number): string {
  const labels: string[] = [];
  for (let o = offset; buf[o]! !== 0; o += buf[o]! + 1) {
    let label = "";
    for (let i = o + 1; i <= o + buf[o]!; i++) {
      const c = buf[i]!;
      if (c === 0x2e || c === 0x5c) label += `\\${String.fromCharCode(c)}`;
      else if (c > 0x20 && c < 0x7f) label += String.fromCharCode(c);
      else label += `\\${c.toString().padStart(3, "0")}`;
    }
    labels.push(label);
  }
  return labels.join(".");
}

function header(id: number, flags: number, qd: number, an: number, ns: number, ar: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(an, 6);
  h.writeUInt16BE(ns, 8);
  h.writeUInt16BE(ar, 10);
  return h;
}

/** An error reply built from the raw header: no records, question echoed when readable. */
export function errorReply(msg: Buffer, rcode: number): Buffer | undefined {
  if (msg.length < 12) return undefined;
  const flags = msg.readUInt16BE(2);
  const end = msg.readUInt16BE(4) === 1 ? nameEnd(msg, 12) : -1;
  const question = end > 0 && end + 4 <= msg.length ? msg.subarray(12, end + 4) : undefined;
  const out = header(
    msg.readUInt16BE(0),
    QR | (flags & (0x7800 | RD | CD)) | (rcode & 0xf),
    question ? 1 : 0,
    0,
    0,
    0,
  );
  return question ? Buffer.concat([out, question]) : out;
}

export function parseQuery(msg: Buffer): Parsed {
  if (msg.length < 12) return { ok: false };
  const flags = msg.readUInt16BE(2);
  if (flags & QR) return { ok: false };
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) return { ok: false, reply: errorReply(msg, 4) };
  if (msg.readUInt16BE(4) !== 1) return { ok: false, reply: errorReply(msg, 1) };
  const end = nameEnd(msg, 12);
  if (end < 0 || end + 4 > msg.length) return { ok: false, reply: errorReply(msg, 1) };
  let decoded: ReturnType<typeof dnsPacket.decode>;
  try {
    decoded = dnsPacket.decode(msg);
  } catch {
    return { ok: false, reply: errorReply(msg, 1) };
  }
  const opts = (decoded.additionals ?? []).filter((a): a is OptAnswer => a.type === "OPT");
  if (opts.length > 1 || (opts[0] && opts[0].name !== ".")) return { ok: false, reply: errorReply(msg, 1) };
  const query: Query = {
    id: msg.readUInt16BE(0),
    opcode,
    rd: (flags & RD) !== 0,
    cd: (flags & CD) !== 0,
    qname: nameText(msg, 12),
    qtype: msg.readUInt16BE(end),
    qclass: msg.readUInt16BE(end + 2),
    question: msg.subarray(12, end + 4),
  };
  const opt = opts[0];
  if (opt) {
    query.edns = {
      udpSize: Math.max(PLAIN_UDP_SIZE, opt.udpPayloadSize),
      dnssecOk: (opt.flags & dnsPacket.DNSSEC_OK) !== 0,
    };
    if (opt.ednsVersion !== 0)
      return { ok: false, reply: encodeResponse(query, { rcode: BADVERS }, PLAIN_UDP_SIZE) };
  }
  return { ok: true, query };
}

/** The largest UDP response this query may get. */
export function udpLimit(q: Query): number {
  return q.edns ? Math.min(q.edns.udpSize, EDNS_UDP_SIZE) : PLAIN_UDP_SIZE;
}

function optRecord(q: Query, rcode: number): OptAnswer {
  return {
    name: ".",
    type: "OPT",
    udpPayloadSize: EDNS_UDP_SIZE,
    extendedRcode: rcode >> 4,
    ednsVersion: 0,
    flags: q.edns?.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
    flag_do: q.edns?.dnssecOk ?? false,
    options: [],
  };
}

function assemble(
  q: Query,
  flags: number,
  answers: Answer[],
  authorities: Answer[],
  additionals: Answer[],
): Buffer {
  const body = dnsPacket.encode({ type: "response", questions: [], answers, authorities, additionals });
  const h = header(q.id, flags, 1, body.readUInt16BE(6), body.readUInt16BE(8), body.readUInt16BE(10));
  return Buffer.concat([h, q.question, body.subarray(12)]);
}

/** Encode a response to `q` that fits `limit` bytes (truncating as the header comment says). */
export function encodeResponse(q: Query, parts: ResponseParts, limit: number): Buffer {
  let flags = QR | (q.rd ? RD : 0) | (q.cd ? CD : 0) | (parts.rcode & 0xf);
  if (parts.aa) flags |= AA;
  if (parts.ra) flags |= RA;
  const opt = q.edns ? [optRecord(q, parts.rcode)] : [];
  const answers = parts.answers ?? [];
  const authorities = parts.authorities ?? [];
  const additionals = parts.additionals ?? [];
  const full = assemble(q, flags, answers, authorities, [...additionals, ...opt]);
  if (full.length <= limit) return full;
  if (additionals.length) {
    const lean = assemble(q, flags, answers, authorities, opt);
    if (lean.length <= limit) return lean;
  }
  return assemble(q, flags | TC, [], [], opt);
}

/** A recursive query for `question` (raw bytes) with our EDNS size, as sent upstream. */
export function buildQuery(id: number, question: Buffer): Buffer {
  const opt: OptAnswer = {
    name: ".",
    type: "OPT",
    udpPayloadSize: EDNS_UDP_SIZE,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
  const body = dnsPacket.encode({ type: "query", questions: [], additionals: [opt] });
  return Buffer.concat([header(id, RD, 1, 0, 0, 1), question, body.subarray(12)]);
}

/** The wire question for a name in presentation form (plain labels) and a numeric type. */
export function encodeQuestion(name: string, qtype: number, qclass = 1): Buffer {
  const labels = name.split(".").filter((l) => l !== "");
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, "latin1");
    if (b.length > 63) throw new Error(`label "${l}" of ${name} is longer than 63 bytes`);
    parts.push(Buffer.from([b.length]), b);
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(qtype, 1);
  tail.writeUInt16BE(qclass, 3);
  return Buffer.concat([...parts, tail]);
}

export interface UpstreamReply {
  parts: ResponseParts;
  truncated: boolean;
}

/**
 * Check and decode an upstream's reply to the query with `id` and `question`: it must be a
 * response with that ID and the same question (bytes compared ignoring ASCII case), else
 * undefined (a stray or spoofed datagram).
 */
export function parseUpstreamReply(msg: Buffer, id: number, question: Buffer): UpstreamReply | undefined {
  if (msg.length < 12 + question.length || msg.readUInt16BE(0) !== id) return undefined;
  const flags = msg.readUInt16BE(2);
  if (!(flags & QR) || msg.readUInt16BE(4) !== 1) return undefined;
  const echoed = msg.subarray(12, 12 + question.length);
  if (echoed.toString("latin1").toLowerCase() !== question.toString("latin1").toLowerCase()) return undefined;
  let decoded: ReturnType<typeof dnsPacket.decode>;
  try {
    decoded = dnsPacket.decode(msg);
  } catch {
    return undefined;
  }
  const opt = (decoded.additionals ?? []).find((a): a is OptAnswer => a.type === "OPT");
  return {
    truncated: (flags & TC) !== 0,
    parts: {
      rcode: (flags & 0xf) | ((opt?.extendedRcode ?? 0) << 4),
      ra: (flags & RA) !== 0,
      aa: (flags & AA) !== 0,
      answers: decoded.answers ?? [],
      authorities: decoded.authorities ?? [],
      additionals: (decoded.additionals ?? []).filter((a) => a.type !== "OPT"),
    },
  };
}
