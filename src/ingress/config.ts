/**
 * One proxy configuration, compiled from the cluster objects the controller mirrors:
 * flatnet's Ingresses (class filter) -> route table, their backends -> endpoints from
 * EndpointSlices, their TLS hosts -> TLS contexts from Secrets. Immutable once built; the
 * proxy swaps the whole object, so every request sees one consistent configuration and no
 * listener is touched. Problems (conflicts, unusable Secrets) are collected for the log and
 * the status endpoint.
 */
import type tls from "node:tls";
import type { KObject } from "../cluster/types.js";
import { type ResolvedBackend, resolveBackend, serviceIndex } from "./backends.js";
import type { CertCache } from "./certs.js";
import { classIndex, FLATNET_CONTROLLER, isOurIngress } from "./class.js";
import { buildRoutes, type RouteTable } from "./routes.js";
import { buildTlsHosts, type TlsHostTable } from "./tls-hosts.js";

export interface ClusterView {
  ingresses: readonly KObject[];
  ingressClasses: readonly KObject[];
  services: readonly KObject[];
  endpointSlices: readonly KObject[];
  secrets: readonly KObject[];
}

export interface ProxyConfig {
  routes: RouteTable;
  backends: ReadonlyMap<string, ResolvedBackend>;
  tlsHosts: TlsHostTable;
  /** TLS contexts by Secret key (`namespace/name`); unusable Secrets are absent. */
  contexts: ReadonlyMap<string, tls.SecureContext>;
  /** The Ingresses served, `namespace/name`. */
  ingresses: string[];
  problems: string[];
}

export function emptyConfig(): ProxyConfig {
  return compileConfig(
    { ingresses: [], ingressClasses: [], services: [], endpointSlices: [], secrets: [] },
    undefined,
  );
}

/** The TLS hosts that use each Secret (for certificate host checks). */
function hostsBySecret(t: TlsHostTable): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (secret: string, host: string) => out.set(secret, [...(out.get(secret) ?? []), host]);
  for (const [h, s] of t.exact) add(s, h);
  for (const [h, s] of t.wildcard) add(s, `*.${h}`);
  return out;
}

export function compileConfig(
  view: ClusterView,
  certs: CertCache | undefined,
  controller = FLATNET_CONTROLLER,
): ProxyConfig {
  const classes = classIndex(view.ingressClasses, controller);
  const ours = view.ingresses.filter((i) => isOurIngress(i, classes));
  const routes = buildRoutes(ours);
  const idx = serviceIndex(view.services, view.endpointSlices);
  const backends = new Map<string, ResolvedBackend>();
  for (const [key, ref] of routes.backends) backends.set(key, resolveBackend(ref, idx));
  const tlsHosts = buildTlsHosts(ours);
  const problems = [...routes.conflicts, ...tlsHosts.conflicts];
  const contexts = new Map<string, tls.SecureContext>();
  if (certs) {
    const secrets = new Map(
      view.secrets.map((s) => [`${s.metadata.namespace ?? "default"}/${s.metadata.name}`, s]),
    );
    const used = new Set<string>();
    for (const [key, hosts] of hostsBySecret(tlsHosts)) {
      const secret = secrets.get(key);
      if (!secret) {
        problems.push(`Secret ${key} not found: its hosts (${hosts.join(", ")}) get the default certificate`);
        continue;
      }
      hosts.sort();
      used.add(certs.idOf(secret, hosts));
      const r = certs.get(secret, hosts);
      if (!r.ok) {
        problems.push(
          `Secret ${key} is not a valid TLS certificate: ${r.error}; its hosts (${hosts.join(", ")}) get the default certificate`,
        );
        continue;
      }
      contexts.set(key, r.context);
      for (const w of r.warnings) problems.push(`Secret ${key}: ${w}`);
    }
    certs.keepOnly(used);
  }
  return {
    routes,
    backends,
    tlsHosts,
    contexts,
    ingresses: ours.map((i) => `${i.metadata.namespace ?? "default"}/${i.metadata.name}`).sort(),
    problems,
  };
}
