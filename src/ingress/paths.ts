/**
 * Ingress path matching, per the networking.k8s.io/v1 documentation:
 *
 * - `Exact` matches the URL path exactly, case-sensitively: `/foo` does not match `/foo/`.
 * - `Prefix` matches element by element on `/`: `/foo/bar` matches `/foo/bar` and
 *   `/foo/bar/baz`, never `/foo/barbaz`; a trailing slash on either side is ignored (`/foo/`
 *   matches `/foo`, `/foo` matches `/foo/`); `/` matches every path.
 * - `ImplementationSpecific` is flatnet's to define: it behaves exactly as `Prefix` (an empty
 *   path as `/`).
 *
 * The request path is normalized before matching, as nginx does, so routing cannot be
 * bypassed with `/public/../admin`: the query string is dropped, each element is
 * percent-decoded (an encoded `/` stays inside its element), empty elements (`//`) and `.` are
 * dropped and `..` removes the element before it. The request is forwarded unchanged.
 *
 * Precedence among matching paths (docs: "the longest matching path first; if still equal,
 * Exact over Prefix"): length is the path's length without a trailing slash, so Prefix `/foo/`
 * and Exact `/foo` are equally long and the Exact one wins for `/foo`.
 */

export type PathType = "Exact" | "Prefix";

/** A parsed Ingress path: its elements and whether it ends with `/` (Exact cares). */
export interface PathPattern {
  type: PathType;
  /** The path as written (for messages). */
  path: string;
  elements: string[];
  trailingSlash: boolean;
  /** Precedence length: characters without the trailing slash. */
  length: number;
}

/** A request path, normalized for matching. */
export interface RequestPath {
  elements: string[];
  trailingSlash: boolean;
}

function decodeElement(e: string): string {
  if (!e.includes("%")) return e;
  try {
    return decodeURIComponent(e);
  } catch {
    return e;
  }
}

/** Parse an Ingress path of a pathType; ImplementationSpecific is Prefix, "" is "/". */
export function pathPattern(path: string | undefined, pathType: string): PathPattern {
  const p = path || "/";
  const type: PathType = pathType === "Exact" ? "Exact" : "Prefix";
  const elements = p.split("/").filter((e) => e !== "");
  const trailingSlash = p.length > 1 && p.endsWith("/");
  const length = trailingSlash ? p.length - 1 : p === "/" ? 0 : p.length;
  return { type, path: p, elements, trailingSlash, length };
}

/** Normalize the request-target's path (origin form; the query is ignored). */
export function requestPath(target: string): RequestPath {
  let end = target.length;
  const q = target.indexOf("?");
  if (q >= 0) end = q;
  const h = target.indexOf("#");
  if (h >= 0 && h < end) end = h;
  let path = target.slice(0, end);
  // Absolute form (`GET http://host/path`): keep only the path.
  if (!path.startsWith("/")) {
    const scheme = path.indexOf("://");
    const slash = scheme >= 0 ? path.indexOf("/", scheme + 3) : -1;
    path = slash >= 0 ? path.slice(slash) : "/";
  }
  const out: string[] = [];
  const raw = path.split("/");
  for (const r of raw) {
    if (r === "" || r === ".") continue;
    if (r === "..") {
      out.pop();
      continue;
    }
    const e = decodeElement(r);
    if (e === ".") continue;
    if (e === "..") out.pop();
    else out.push(e);
  }
  const last = raw[raw.length - 1];
  const trailingSlash = out.length > 0 && (last === "" || last === "." || last === "..");
  return { elements: out, trailingSlash };
}

export function pathMatches(p: PathPattern, r: RequestPath): boolean {
  if (p.type === "Exact") {
    if (p.elements.length !== r.elements.length || p.trailingSlash !== r.trailingSlash) return false;
  } else if (p.elements.length > r.elements.length) return false;
  for (let i = 0; i < p.elements.length; i++) if (p.elements[i] !== r.elements[i]) return false;
  return true;
}

/** Negative when a has precedence over b: longer first, then Exact before Prefix. */
export function comparePrecedence(a: PathPattern, b: PathPattern): number {
  if (a.length !== b.length) return b.length - a.length;
  if (a.type !== b.type) return a.type === "Exact" ? -1 : 1;
  return 0;
}

/** Two patterns that match exactly the same requests (a conflict when both are routed). */
export function samePattern(a: PathPattern, b: PathPattern): boolean {
  if (a.type !== b.type || a.elements.length !== b.elements.length) return false;
  if (a.type === "Exact" && a.trailingSlash !== b.trailingSlash) return false;
  return a.elements.every((e, i) => e === b.elements[i]);
}
