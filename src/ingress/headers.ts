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
const SET_BY_PROXY = new Set([
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-real-ip",
]);

/** Header names listed in Connection (lowercase). */
function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let out: Set<string> | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length !== 10 || raw[i]!.toLowerCase() !== "connection") continue;
    for (const t of raw[i + 1]!.split(",")) {
      const tok = t.trim().toLowerCase();
      if (!tok) continue;
      out ??= new Set();
      out.add(tok);
    }
  }
  return out;
}

export interface ForwardInfo {
  clientIp: string;
  proto: "http" | "https";
  /** The port the client connected to. */
  port: number;
}

/**
 * The request headers for the endpoint. `keepUpgrade` keeps Connection/Upgrade (WebSocket);
 * the chunked Transfer-Encoding of a request is kept so Node frames the body the same way.
 */
export function requestHeaders(raw: readonly string[], info: ForwardInfo, keepUpgrade = false): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  let xff: string | undefined;
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    const value = raw[i + 1]!;
    if (lower === "host") host ??= value;
    if (SET_BY_PROXY.has(lower)) {
      if (lower === "x-forwarded-for") xff = xff ? `${xff}, ${value}` : value;
      continue;
    }
    if (keepUpgrade && (lower === "connection" || lower === "upgrade")) {
      out.push(name, value);
      continue;
    }
    if (lower === "transfer-encoding") {
      out.push(name, value);
      continue;
    }
    if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    out.push(name, value);
  }
  out.push(
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
  return out;
}

/** The response headers for the client: hop-by-hop headers dropped. */
export function responseHeaders(raw: readonly string[]): string[] {
  const named = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(lower) || named?.has(lower)) continue;
    out.push(raw[i]!, raw[i + 1]!);
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
