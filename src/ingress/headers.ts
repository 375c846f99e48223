/**
 * Header rewriting between client and endpoint, on raw header arrays (`[name, value, ...]` as
 * Node gives them; no per-request objects, names keep their case, repeated headers stay).
 *
 * - Hop-by-hop headers (RFC 9110 7.6.1: Connection, the ones Connection names, Keep-Alive,
 *   Proxy-Connection, TE, Trailer, Upgrade) are not forwarded; Transfer-Encoding is left
 *   to Node, which re-frames the body. A WebSocket upgrade keeps Connection/Upgrade.
 * - The request carries the original Host, and X-Forwarded-For (the client's address
 *   appended to any list it sent, as proxies chain it), X-Forwarded-Proto, -Host and -Port
 *   (set by the proxy, which is the edge: a client cannot choose them), and X-Real-IP.
 */

/** Response headers never forwarded (hop-by-hop; Node re-frames the body itself). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "upgrade",
  "transfer-encoding",
  "http2-settings",
]);

function lengths(names: Iterable<string>): boolean[] {
  const out: boolean[] = [];
  for (const n of names) out[n.length] = true;
  return out;
}
const HOP_LENGTHS = lengths(HOP_BY_HOP);
const INTERESTING_LENGTHS = lengths([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "upgrade",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-real-ip",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "http2-settings",
]);

/** Add the header names a Connection value lists (beyond keep-alive/close/upgrade). */
function addTokens(set: Set<string> | undefined, value: string): Set<string> | undefined {
  // The common values name no header: no split, no allocation.
  if (value.length <= 10 && /^(?:keep-alive|close|upgrade)$/i.test(value)) return set;
  for (const t of value.split(",")) {
    const tok = t.trim().toLowerCase();
    if (!tok || tok === "keep-alive" || tok === "close" || tok === "upgrade") continue;
    set ??= new Set();
    set.add(tok);
  }
  return set;
}

export interface ForwardInfo {
  clientIp: string;
  proto: "http" | "https";
  /** The port the client connected to. */
  port: number;
}

/** The request head for the endpoint, and what the proxy needs from it (one pass over rawHeaders). */
export interface RequestHead {
  headers: string[];
  host: string | undefined;
  contentLength: string | undefined;
  transferEncoding: string | undefined;
}

/**
 * Rewrite a request's raw headers for the endpoint. `keepUpgrade` keeps Connection/Upgrade
 * (WebSocket); a request's Transfer-Encoding is kept so Node frames the body the same way.
 */
export function requestHead(raw: readonly string[], info: ForwardInfo, keepUpgrade = false): RequestHead {
  const out: string[] = [];
  let named: Set<string> | undefined;
  let xff: string | undefined;
  let host: string | undefined;
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    // Only names as long as one handled below are lowercased and compared.
    switch (INTERESTING_LENGTHS[name.length] ? name.toLowerCase() : "") {
      case "host":
        host ??= value;
        break;
      case "content-length":
        contentLength = value;
        break;
      case "transfer-encoding":
        transferEncoding = value;
        break;
      case "connection":
        if (!keepUpgrade) {
          named = addTokens(named, value);
          continue;
        }
        break;
      case "upgrade":
        if (!keepUpgrade) continue;
        break;
      case "x-forwarded-for":
        xff = xff ? `${xff}, ${value}` : value;
        continue;
      case "x-forwarded-proto":
      case "x-forwarded-host":
      case "x-forwarded-port":
      case "x-real-ip":
      case "keep-alive":
      case "proxy-connection":
      case "te":
      case "trailer":
      case "http2-settings":
        continue;
    }
    out.push(name, value);
  }
  let headers = out;
  if (named) {
    headers = [];
    for (let i = 0; i < out.length; i += 2)
      if (!named.has(out[i]!.toLowerCase())) headers.push(out[i]!, out[i + 1]!);
  }
  headers.push(
    "X-Forwarded-For",
    xff ? `${xff}, ${info.clientIp}` : info.clientIp,
    "X-Forwarded-Proto",
    info.proto,
    "X-Forwarded-Host",
    host ?? "",
    "X-Forwarded-Port",
    String(info.port),
    "X-Real-IP",
    info.clientIp,
  );
  return { headers, host, contentLength, transferEncoding };
}

/** The request headers for the endpoint (see requestHead). */
export function requestHeaders(raw: readonly string[], info: ForwardInfo, keepUpgrade = false): string[] {
  return requestHead(raw, info, keepUpgrade).headers;
}

/** The response headers for the client: hop-by-hop headers dropped. */
export function responseHeaders(raw: readonly string[]): string[] {
  let named: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === "connection")
      named = addTokens(named, raw[i + 1]!);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (named || HOP_LENGTHS[name.length]) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    }
    out.push(name, raw[i + 1]!);
  }
  return out;
}

/** The client's address without the IPv4-mapped prefix. */
export function clientAddress(remote: string | undefined): string {
  if (!remote) return "";
  return remote.startsWith("::ffff:") && remote.includes(".") ? remote.slice(7) : remote;
}

/** The origin form of a request-target: `http://host/p?q` -> `/p?q`; other forms unchanged. */
export function originForm(target: string): string {
  if (target.charCodeAt(0) === 47 || target === "*") return target;
  const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  if (!m) return target;
  const rest = target.slice(m[0].length);
  return rest.startsWith("/") ? rest : `/${rest}`;
}
