/**
 * The routing model: flatnet's Ingresses -> one immutable RouteTable, and a request (Host
 * header + request-target) -> the backend that serves it. Pure; the proxy swaps a whole new
 * table in on every change, so a request always sees one consistent configuration.
 *
 * Semantics (networking.k8s.io/v1 documentation; hosts in hosts.ts, paths in paths.ts):
 * - Rules for one host are merged across all Ingress objects (any namespace).
 * - A request is matched against the rules of its exact host first, then of the wildcard
 *   covering it, then the rules without a host ("apply to all inbound HTTP traffic"); in the
 *   first of these with a matching path, the path with precedence wins (longest, then Exact
 *   over Prefix). So an exact host's rules shadow a wildcard's for the paths they match, and
 *   a path the exact host lacks still reaches the wildcard or host-less rules.
 * - No path matches: the default backend (`spec.defaultBackend`); none: 404.
 * - Conflicts (the same host, path and pathType in two places; several default backends):
 *   the oldest Ingress wins (creationTimestamp, then namespace/name), as Gateway API resolves
 *   them, and the loser is reported, never silently merged.
 */
import type { V1IngressBackend, V1IngressRule } from "@kubernetes/client-node";
import type { KObject } from "../cluster/types.js";
import { requestHost, ruleHost, wildcardKey } from "./hosts.js";
import {
  comparePrecedence,
  type PathPattern,
  pathMatches,
  pathPattern,
  type RequestPath,
  requestPath,
  samePattern,
} from "./paths.js";

export interface ServicePortRef {
  number?: number;
  name?: string;
}

/** What a path routes to: a Service port in the Ingress's namespace, or a resource. */
export type BackendRef =
  | { kind: "service"; key: string; namespace: string; service: string; port: ServicePortRef }
  | { kind: "resource"; key: string; namespace: string; description: string };

export interface Route {
  pattern: PathPattern;
  backend: BackendRef;
  /** `namespace/name` of the Ingress it came from. */
  ingress: string;
}

export interface RouteTable {
  exact: ReadonlyMap<string, readonly Route[]>;
  wildcard: ReadonlyMap<string, readonly Route[]>;
  anyHost: readonly Route[];
  defaultBackend: { backend: BackendRef; ingress: string } | undefined;
  /** Every backend some route or default names, by key. */
  backends: ReadonlyMap<string, BackendRef>;
  /** Human-readable conflicts (the losing rule and who won). */
  conflicts: string[];
}

export interface RouteMatch {
  backend: BackendRef;
  /** The route that matched; undefined when the default backend answers. */
  route: Route | undefined;
}

export function backendRef(namespace: string, b: V1IngressBackend | undefined): BackendRef | undefined {
  if (b?.service?.name) {
    const port: ServicePortRef = b.service.port?.name
      ? { name: String(b.service.port.name) }
      : { number: Number(b.service.port?.number) };
    const svc = String(b.service.name);
    return {
      kind: "service",
      key: `${namespace}/${svc}:${port.name ?? port.number}`,
      namespace,
      service: svc,
      port,
    };
  }
  if (b?.resource?.name) {
    const group = b.resource.apiGroup ? `${b.resource.apiGroup}/` : "";
    const description = `${group}${b.resource.kind}/${b.resource.name}`;
    return { kind: "resource", key: `${namespace}/resource:${description}`, namespace, description };
  }
  return undefined;
}

function nsName(o: KObject): string {
  return `${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
}

/** Oldest first: creationTimestamp, then namespace/name. */
export function byAge(a: KObject, b: KObject): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = nsName(a);
  const nb = nsName(b);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

function describeHost(tier: string, key: string): string {
  return tier === "wildcard" ? `*.${key}` : tier === "exact" ? key : "(any host)";
}

/** Build the table from the Ingresses that are flatnet's (class filtering is done by the caller). */
export function buildRoutes(ingresses: readonly KObject[]): RouteTable {
  const exact = new Map<string, Route[]>();
  const wildcard = new Map<string, Route[]>();
  const anyHost: Route[] = [];
  const backends = new Map<string, BackendRef>();
  const conflicts: string[] = [];
  let defaultBackend: RouteTable["defaultBackend"];

  const add = (list: Route[], route: Route, where: string) => {
    const clash = list.find((r) => samePattern(r.pattern, route.pattern));
    if (clash) {
      conflicts.push(
        `Ingress ${route.ingress}: ${where} path ${route.pattern.path} (${route.pattern.type}) is already routed by Ingress ${clash.ingress}; the older rule wins`,
      );
      return;
    }
    list.push(route);
    backends.set(route.backend.key, route.backend);
  };

  for (const ing of [...ingresses].filter((i) => !i.metadata.deletionTimestamp).sort(byAge)) {
    const ns = ing.metadata.namespace ?? "default";
    const name = nsName(ing);
    const db = backendRef(ns, ing.spec?.defaultBackend);
    if (db) {
      if (defaultBackend) {
        conflicts.push(
          `Ingress ${name}: defaultBackend ignored; Ingress ${defaultBackend.ingress} (older) sets one`,
        );
      } else {
        defaultBackend = { backend: db, ingress: name };
        backends.set(db.key, db);
      }
    }
    for (const rule of (ing.spec?.rules ?? []) as V1IngressRule[]) {
      let list: Route[];
      let tier: string;
      let key = "";
      if (rule?.host) {
        const h = ruleHost(String(rule.host));
        const map = h.kind === "exact" ? exact : wildcard;
        key = h.key;
        tier = h.kind;
        list = map.get(key) ?? [];
        map.set(key, list);
      } else {
        tier = "any";
        list = anyHost;
      }
      for (const p of rule?.http?.paths ?? []) {
        const backend = backendRef(ns, p?.backend);
        if (!backend) continue;
        add(
          list,
          { pattern: pathPattern(p.path, p.pathType), backend, ingress: name },
          describeHost(tier, key),
        );
      }
    }
  }
  // Stable sort: among equal precedence (never overlapping after conflict removal) keep age order.
  for (const list of [...exact.values(), ...wildcard.values(), anyHost])
    list.sort((a, b) => comparePrecedence(a.pattern, b.pattern));
  return { exact, wildcard, anyHost, defaultBackend, backends, conflicts };
}

function firstMatch(list: readonly Route[] | undefined, path: RequestPath): Route | undefined {
  if (!list) return undefined;
  for (const r of list) if (pathMatches(r.pattern, path)) return r;
  return undefined;
}

/** The authority of an absolute-form target (`http://user@host:port/...`), which overrides Host. */
function authorityOf(target: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(target);
  if (!m?.[1]) return undefined;
  const at = m[1].lastIndexOf("@");
  return at >= 0 ? m[1].slice(at + 1) : m[1];
}

/** Route a request: Host header (or the absolute-form authority) and request-target. */
export function matchRoute(
  table: RouteTable,
  hostHeader: string | undefined,
  target: string,
): RouteMatch | undefined {
  const host = requestHost(target.charCodeAt(0) === 47 ? hostHeader : (authorityOf(target) ?? hostHeader));
  const path = requestPath(target);
  const route =
    firstMatch(table.exact.get(host), path) ??
    firstMatch(table.wildcard.get(wildcardKey(host)), path) ??
    firstMatch(table.anyHost, path);
  if (route) return { backend: route.backend, route };
  if (table.defaultBackend) return { backend: table.defaultBackend.backend, route: undefined };
  return undefined;
}

export const EMPTY_ROUTES: RouteTable = buildRoutes([]);
