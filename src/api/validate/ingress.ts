/**
 * Ingresses and IngressClasses. Ingress: a defaultBackend or rules; rule hosts are DNS names
 * (never IPs; a wildcard only as the whole first label); each path has a pathType, and
 * Exact/Prefix paths are absolute and free of `//`, `/./`, `/../` and encoded slashes;
 * backends are a service (port by name xor number) xor a resource; TLS hosts and secretName.
 * The deprecated `kubernetes.io/ingress.class` annotation must agree with ingressClassName.
 * IngressClass: spec.controller is a domain-prefixed path.
 */
import {
  at,
  checkEnum,
  type FieldErrors,
  idx,
  type Json,
  listField,
  objectField,
  stringField,
  stringListField,
} from "./field.js";
import { looksLikeIp } from "./ip.js";
import { checkName, validateObjectMeta } from "./metadata.js";
import { dns1035Label, dns1123Subdomain, wildcardDns1123Subdomain } from "./names.js";
import { validatePortName, validatePortNumber } from "./ports.js";

export const PATH_TYPES = ["Exact", "Prefix", "ImplementationSpecific"] as const;
const INVALID_PATH_SEQUENCES = ["//", "/./", "/../", "%2f", "%2F"];
const INVALID_PATH_SUFFIXES = ["/..", "/."];

export function validateIngress(errs: FieldErrors, obj: Json): void {
  validateObjectMeta(errs, obj, "Ingress");
  const spec = objectField(errs, "spec", obj.spec) ?? {};
  const className = stringField(errs, "spec.ingressClassName", spec.ingressClassName);
  if (className) checkName(errs, "spec.ingressClassName", className, dns1123Subdomain);
  // As the API server does on create: the deprecated class annotation may only repeat the field.
  const legacyClass = (obj.metadata as Json | undefined)?.annotations as Json | undefined;
  const legacy = legacyClass?.["kubernetes.io/ingress.class"];
  if (className && typeof legacy === "string" && legacy !== className) {
    errs.invalid(
      "metadata.annotations[kubernetes.io/ingress.class]",
      legacy,
      "must match `spec.ingressClassName` when both are specified",
    );
  }
  const rules = listField(errs, "spec.rules", spec.rules);
  const hasDefault = spec.defaultBackend !== undefined && spec.defaultBackend !== null;
  if (!hasDefault && rules.length === 0) {
    errs.invalid("spec", spec, "either `defaultBackend` or `rules` must be specified");
  }
  if (hasDefault) validateBackend(errs, "spec.defaultBackend", spec.defaultBackend);
  rules.forEach((r, i) => {
    validateRule(errs, idx("spec.rules", i), r);
  });
  listField(errs, "spec.tls", spec.tls).forEach((t, i) => {
    const path = idx("spec.tls", i);
    const tls = objectField(errs, path, t);
    if (!tls) return;
    stringListField(errs, at(path, "hosts"), tls.hosts).forEach((h, j) => {
      validateHost(errs, idx(at(path, "hosts"), j), h);
    });
    const secret = stringField(errs, at(path, "secretName"), tls.secretName);
    if (secret) checkName(errs, at(path, "secretName"), secret, dns1123Subdomain);
  });
}

function validateHost(errs: FieldErrors, path: string, host: string): void {
  if (looksLikeIp(host)) {
    errs.invalid(path, host, "must be a DNS name, not an IP address");
  } else if (host.includes("*")) {
    checkName(errs, path, host, wildcardDns1123Subdomain);
  } else {
    checkName(errs, path, host, dns1123Subdomain);
  }
}

function validateRule(errs: FieldErrors, path: string, v: unknown): void {
  const rule = objectField(errs, path, v);
  if (!rule) return;
  const host = stringField(errs, at(path, "host"), rule.host);
  if (host) validateHost(errs, at(path, "host"), host);
  const http = objectField(errs, at(path, "http"), rule.http);
  if (!http) return;
  const pathsPath = at(path, "http.paths");
  const paths = listField(errs, pathsPath, http.paths);
  if (paths.length === 0) errs.required(pathsPath);
  paths.forEach((p, i) => {
    validatePath(errs, idx(pathsPath, i), p);
  });
}

function validatePath(errs: FieldErrors, path: string, v: unknown): void {
  const entry = objectField(errs, path, v);
  if (!entry) return;
  const pathType = stringField(errs, at(path, "pathType"), entry.pathType);
  const text = stringField(errs, at(path, "path"), entry.path);
  if (!pathType) errs.required(at(path, "pathType"), "pathType must be specified");
  else checkEnum(errs, at(path, "pathType"), pathType, PATH_TYPES);
  if (pathType === "Exact" || pathType === "Prefix") {
    if (!text?.startsWith("/")) {
      errs.invalid(at(path, "path"), text ?? "", "must be an absolute path");
    } else {
      const bad = INVALID_PATH_SEQUENCES.find((s) => text.includes(s));
      const badEnd = INVALID_PATH_SUFFIXES.find((s) => text.endsWith(s));
      if (bad) errs.invalid(at(path, "path"), text, `must not contain '${bad}'`);
      else if (badEnd) errs.invalid(at(path, "path"), text, `cannot end with '${badEnd}'`);
    }
  } else if (text && !text.startsWith("/")) {
    errs.invalid(at(path, "path"), text, "must be an absolute path");
  }
  if (entry.backend === undefined || entry.backend === null) errs.required(at(path, "backend"));
  else validateBackend(errs, at(path, "backend"), entry.backend);
}

function validateBackend(errs: FieldErrors, path: string, v: unknown): void {
  const backend = objectField(errs, path, v);
  if (!backend) return;
  const service = objectField(errs, at(path, "service"), backend.service);
  const resource = objectField(errs, at(path, "resource"), backend.resource);
  if (service && resource) {
    errs.invalid(path, backend, "cannot set both `service` and `resource` backends");
  } else if (!service && !resource) {
    errs.invalid(path, backend, "one backend type must be specified: `service` or `resource`");
  }
  if (service) {
    const name = stringField(errs, at(path, "service.name"), service.name);
    if (!name) errs.required(at(path, "service.name"));
    else checkName(errs, at(path, "service.name"), name, dns1035Label);
    const portPath = at(path, "service.port");
    const port = objectField(errs, portPath, service.port);
    const hasName = port?.name !== undefined && port?.name !== null && port?.name !== "";
    const hasNumber = port?.number !== undefined && port?.number !== null && port?.number !== 0;
    if (!port || (!hasName && !hasNumber)) errs.required(portPath, "port name or number is required");
    else if (hasName && hasNumber) errs.invalid(portPath, port, "cannot set both port name & port number");
    else if (hasName) {
      const portName = stringField(errs, at(portPath, "name"), port.name);
      if (portName) validatePortName(errs, at(portPath, "name"), portName);
    } else validatePortNumber(errs, at(portPath, "number"), port.number);
  }
  if (resource) {
    for (const field of ["kind", "name"] as const) {
      if (!stringField(errs, at(path, `resource.${field}`), resource[field]))
        errs.required(at(path, `resource.${field}`));
    }
  }
}

export function validateIngressClass(errs: FieldErrors, obj: Json): void {
  validateObjectMeta(errs, obj, "IngressClass");
  const spec = objectField(errs, "spec", obj.spec) ?? {};
  const controller = stringField(errs, "spec.controller", spec.controller);
  if (!controller) {
    errs.required("spec.controller", "name the controller like 'example.com/ingress-controller'");
  } else {
    const [domain, ...rest] = controller.split("/");
    const problems = [
      ...(controller.length > 250 ? ["must be no more than 250 characters"] : []),
      ...(rest.length === 0 || rest.join("/") === ""
        ? ["must be a domain-prefixed path (e.g. 'example.com/ingress-controller')"]
        : []),
      ...dns1123Subdomain(domain ?? "").map((p) => `domain part ${p}`),
    ];
    if (problems.length) errs.invalid("spec.controller", controller, problems.join("; "));
  }
  const params = objectField(errs, "spec.parameters", spec.parameters);
  if (params) {
    for (const field of ["kind", "name"] as const) {
      if (!stringField(errs, `spec.parameters.${field}`, params[field]))
        errs.required(`spec.parameters.${field}`);
    }
    const scope = stringField(errs, "spec.parameters.scope", params.scope);
    checkEnum(errs, "spec.parameters.scope", scope, ["Cluster", "Namespace"]);
    const ns = stringField(errs, "spec.parameters.namespace", params.namespace);
    if (scope === "Namespace" && !ns)
      errs.required("spec.parameters.namespace", "required when scope is 'Namespace'");
    if (scope !== "Namespace" && ns)
      errs.forbidden("spec.parameters.namespace", "only allowed when scope is 'Namespace'");
  }
}
