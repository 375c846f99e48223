/**
 * The name grammars of the Kubernetes API. Each check returns the list of problems (empty when
 * the value is fine), so callers can report them all in one field error. The grammars:
 * - DNS-1123 label: <= 63 chars, [a-z0-9]([-a-z0-9]*[a-z0-9])? (namespaces, container names)
 * - DNS-1123 subdomain: <= 253 chars, dot-separated labels (most object names, hosts)
 * - DNS-1035 label: like a DNS-1123 label but starting with a letter (Service names)
 * - IANA_SVC_NAME: <= 15 chars, lowercase alnum and '-', a letter, no edge/double '-' (port names)
 * - qualified name: [prefix/]name, prefix a subdomain, name <= 63 of [-A-Za-z0-9_.] (label keys)
 * - label value: empty or <= 63 of [-A-Za-z0-9_.] starting and ending alphanumeric
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME_CHARS = /^[-a-z0-9]+$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

function maxLength(value: string, max: number): string[] {
  return value.length > max ? [`must be no more than ${max} characters`] : [];
}

export function dns1123Label(value: string): string[] {
  const errs = maxLength(value, 63);
  if (!DNS1123_LABEL.test(value)) {
    errs.push(
      "must be a lowercase RFC 1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. 'my-name' or '123-abc')",
    );
  }
  return errs;
}

export function dns1123Subdomain(value: string): string[] {
  const errs = maxLength(value, 253);
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errs.push(
      "must be a lowercase RFC 1123 subdomain: dot-separated labels of lowercase letters, digits and '-', each starting and ending with a letter or digit (e.g. 'example.com')",
    );
  }
  return errs;
}

export function dns1035Label(value: string): string[] {
  const errs = maxLength(value, 63);
  if (!DNS1035_LABEL.test(value)) {
    errs.push(
      "must be an RFC 1035 label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (e.g. 'my-name' or 'abc-123')",
    );
  }
  return errs;
}

/** A host name that may start with a `*.` wildcard label (Ingress rules and TLS hosts). */
export function wildcardDns1123Subdomain(value: string): string[] {
  if (!value.startsWith("*.")) return ["a wildcard host must start with '*.' followed by a DNS subdomain"];
  const rest = dns1123Subdomain(value.slice(2));
  return rest.length ? [`after '*.': ${rest.join("; ")}`] : maxLength(value, 253);
}

/** IANA_SVC_NAME, the grammar of named ports. */
export function ianaServiceName(value: string): string[] {
  const errs = maxLength(value, 15);
  if (!IANA_SVC_NAME_CHARS.test(value)) {
    errs.push("must contain only lowercase letters, digits and '-' (a port name such as 'http')");
  }
  if (value.includes("--")) errs.push("must not contain consecutive hyphens");
  if (!/[a-z]/.test(value)) errs.push("must contain at least one letter (a-z)");
  if (value.startsWith("-") || value.endsWith("-")) errs.push("must not begin or end with a hyphen");
  return errs;
}

/** A label or annotation key: `name` or `prefix/name`. */
export function qualifiedName(value: string): string[] {
  const parts = value.split("/");
  let name = value;
  const errs: string[] = [];
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else errs.push(...dns1123Subdomain(prefix).map((e) => `prefix part ${e}`));
  } else if (parts.length > 2) {
    return ["a qualified name may contain at most one '/' (e.g. 'app' or 'example.com/app')"];
  }
  if (name.length === 0) return [...errs, "name part must be non-empty"];
  if (name.length > 63) errs.push("name part must be no more than 63 characters");
  if (!QUALIFIED_NAME_PART.test(name)) {
    errs.push(
      "name part must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit (e.g. 'MyName' or 'my.name')",
    );
  }
  return errs;
}

export function labelValue(value: string): string[] {
  const errs = maxLength(value, 63);
  if (!LABEL_VALUE.test(value)) {
    errs.push(
      "a label value must be empty or consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit",
    );
  }
  return errs;
}

/** A key of Secret or ConfigMap data. */
export function configMapKey(value: string): string[] {
  const errs = maxLength(value, 253);
  if (!CONFIG_KEY.test(value)) errs.push("must consist of letters, digits, '-', '_' or '.'");
  if (value === "." || value === "..") errs.push(`must not be '${value}'`);
  return errs;
}
