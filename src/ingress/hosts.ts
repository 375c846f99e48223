/**
 * Ingress host matching, per the networking.k8s.io/v1 documentation: a rule host is precise
 * (`foo.bar.com`) or a wildcard of exactly one leading label (`*.foo.com` matches
 * `bar.foo.com`, not `foo.com` nor `baz.bar.foo.com`). The request's host (the Host header, or
 * the authority of an absolute-form target) is compared case-insensitively, without its port
 * and without a trailing dot. A TLS server name (SNI) is matched the same way.
 */

/** The host of a Host header value, lowercased, without port, brackets or trailing dot. */
export function requestHost(header: string | undefined): string {
  if (!header) return "";
  let h = header.trim().toLowerCase();
  if (h.startsWith("[")) {
    const close = h.indexOf("]");
    return close > 0 ? h.slice(1, close) : h;
  }
  const colon = h.indexOf(":");
  if (colon >= 0) h = h.slice(0, colon);
  if (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}

/** For `bar.foo.com`, the key a `*.foo.com` rule is filed under (`foo.com`); "" if none. */
export function wildcardKey(host: string): string {
  const dot = host.indexOf(".");
  if (dot <= 0 || dot === host.length - 1) return "";
  return host.slice(dot + 1);
}

/** A rule host as written -> how it is filed: exact name, or wildcard suffix. */
export function ruleHost(host: string): { kind: "exact" | "wildcard"; key: string } {
  const h = host.toLowerCase();
  return h.startsWith("*.") ? { kind: "wildcard", key: h.slice(2) } : { kind: "exact", key: h };
}

/** Whether a rule host (exact or `*.` wildcard) matches a normalized request host. */
export function hostMatches(rule: string, host: string): boolean {
  const r = ruleHost(rule);
  return r.kind === "exact" ? r.key === host : wildcardKey(host) === r.key;
}
