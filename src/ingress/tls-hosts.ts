/**
 * Which certificate serves which TLS server name (SNI), from the `spec.tls` of flatnet's
 * Ingresses: each entry names hosts (exact or `*.` wildcard) and a Secret in the Ingress's
 * namespace. A server name picks the exact host's Secret, else the wildcard's covering it,
 * else none (the proxy's default certificate). An entry without hosts covers the hosts of
 * its Ingress's rules (flatnet's reading of "defaults to the wildcard host setting of the
 * controller"). The same host with two Secrets: the oldest Ingress wins, the other is
 * reported. Pure; certs.ts turns Secrets into TLS contexts.
 */
import type { KObject } from "../cluster/types.js";
import { requestHost, ruleHost, wildcardKey } from "./hosts.js";
import { byAge } from "./routes.js";

export interface TlsHostTable {
  /** Host -> Secret key `namespace/name`. */
  exact: ReadonlyMap<string, string>;
  /** Wildcard suffix (`foo.com` for `*.foo.com`) -> Secret key. */
  wildcard: ReadonlyMap<string, string>;
  /** Every Secret key referenced. */
  secrets: ReadonlySet<string>;
  conflicts: string[];
}

export function buildTlsHosts(ingresses: readonly KObject[]): TlsHostTable {
  const exact = new Map<string, { secret: string; ingress: string }>();
  const wildcard = new Map<string, { secret: string; ingress: string }>();
  const secrets = new Set<string>();
  const conflicts: string[] = [];
  for (const ing of [...ingresses].filter((i) => !i.metadata.deletionTimestamp).sort(byAge)) {
    const ns = ing.metadata.namespace ?? "default";
    const name = `${ns}/${ing.metadata.name}`;
    const ruleHosts = ((ing.spec?.rules ?? []) as Array<{ host?: string }>)
      .map((r) => r.host)
      .filter((h): h is string => !!h);
    for (const entry of (ing.spec?.tls ?? []) as Array<{ hosts?: string[]; secretName?: string }>) {
      if (!entry?.secretName) continue;
      const secret = `${ns}/${entry.secretName}`;
      const hosts = entry.hosts?.length ? entry.hosts : ruleHosts;
      for (const host of hosts) {
        const h = ruleHost(host);
        const map = h.kind === "exact" ? exact : wildcard;
        const have = map.get(h.key);
        if (have && have.secret !== secret) {
          conflicts.push(
            `Ingress ${name}: TLS host ${host} uses Secret ${secret}, but Ingress ${have.ingress} (older) gives it Secret ${have.secret}; the older wins`,
          );
          continue;
        }
        if (!have) map.set(h.key, { secret, ingress: name });
        secrets.add(secret);
      }
    }
  }
  const flat = (m: Map<string, { secret: string }>) => new Map([...m].map(([k, v]) => [k, v.secret]));
  return { exact: flat(exact), wildcard: flat(wildcard), secrets, conflicts };
}

/** The Secret key for a server name (SNI), or undefined for the default certificate. */
export function secretForServerName(t: TlsHostTable, serverName: string | undefined): string | undefined {
  const host = requestHost(serverName);
  if (!host) return undefined;
  return t.exact.get(host) ?? t.wildcard.get(wildcardKey(host));
}
