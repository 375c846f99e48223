/**
 * metadata: the name grammar each kind requires (Services are DNS-1035 labels, Namespaces
 * DNS-1123 labels, most others DNS-1123 subdomains), the namespace name, labels and
 * annotations.
 */
import { isNamespacedKind, type KubeKind } from "../kinds.js";
import { at, type FieldErrors, type Json, objectField, stringField } from "./field.js";
import { validateAnnotations, validateLabels } from "./labels.js";
import { dns1035Label, dns1123Label, dns1123Subdomain } from "./names.js";

type NameRule = (name: string) => string[];

const NAME_RULES: Record<KubeKind, NameRule> = {
  Namespace: dns1123Label,
  Service: dns1035Label,
  Pod: dns1123Subdomain,
  Deployment: dns1123Subdomain,
  EndpointSlice: dns1123Subdomain,
  NetworkPolicy: dns1123Subdomain,
  Ingress: dns1123Subdomain,
  IngressClass: dns1123Subdomain,
  Secret: dns1123Subdomain,
  ConfigMap: dns1123Subdomain,
  Node: dns1123Subdomain,
};

/** Check a name-like field with a grammar, reporting all problems in one error. */
export function checkName(errs: FieldErrors, path: string, value: string, rule: NameRule): boolean {
  const problems = rule(value);
  if (problems.length) errs.invalid(path, value, problems.join("; "));
  return problems.length === 0;
}

export function validateObjectMeta(errs: FieldErrors, obj: Json, kind: KubeKind): void {
  const meta = objectField(errs, "metadata", obj.metadata);
  if (!meta) {
    errs.required("metadata.name", "every object needs a name");
    return;
  }
  const name = stringField(errs, "metadata.name", meta.name);
  if (name === undefined || name === "") {
    errs.required("metadata.name", "name or generateName is required; flatnet needs an explicit name");
  } else {
    checkName(errs, "metadata.name", name, NAME_RULES[kind]);
  }
  if (isNamespacedKind(kind)) {
    const ns = stringField(errs, "metadata.namespace", meta.namespace);
    if (ns !== undefined) checkName(errs, "metadata.namespace", ns, dns1123Label);
  }
  validateLabels(errs, at("metadata", "labels"), meta.labels);
  validateAnnotations(errs, at("metadata", "annotations"), meta.annotations);
}
