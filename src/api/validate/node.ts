/**
 * Nodes and Namespaces. A Node's podCIDR/podCIDRs must be CIDRs (at most one per family, the
 * first equal to podCIDR); addresses must be IPs. A Namespace only has metadata to check.
 */
import {
  at,
  boolField,
  type FieldErrors,
  idx,
  type Json,
  listField,
  objectField,
  stringField,
  stringListField,
} from "./field.js";
import { checkCidr, checkIp } from "./ip.js";
import { validateObjectMeta } from "./metadata.js";

const IP_ADDRESS_TYPES = new Set(["InternalIP", "ExternalIP"]);

export function validateNode(errs: FieldErrors, obj: Json): void {
  validateObjectMeta(errs, obj, "Node");
  const spec = objectField(errs, "spec", obj.spec);
  if (spec) {
    const podCIDR = stringField(errs, "spec.podCIDR", spec.podCIDR);
    if (podCIDR) checkCidr(errs, "spec.podCIDR", podCIDR);
    const podCIDRs = stringListField(errs, "spec.podCIDRs", spec.podCIDRs);
    if (podCIDRs.length > 2) errs.tooMany("spec.podCIDRs", podCIDRs.length, 2);
    const families = new Set<number>();
    podCIDRs.forEach((text, i) => {
      const cidr = checkCidr(errs, idx("spec.podCIDRs", i), text);
      if (!cidr) return;
      if (families.has(cidr.family)) {
        errs.invalid(idx("spec.podCIDRs", i), text, "may specify no more than one CIDR for each IP family");
      }
      families.add(cidr.family);
    });
    if (podCIDR && podCIDRs.length > 0 && podCIDRs[0] !== podCIDR) {
      errs.invalid("spec.podCIDRs[0]", podCIDRs[0], "must match `spec.podCIDR`");
    }
    boolField(errs, "spec.unschedulable", spec.unschedulable);
  }
  const status = objectField(errs, "status", obj.status);
  listField(errs, "status.addresses", status?.addresses).forEach((a, i) => {
    const path = idx("status.addresses", i);
    const addr = objectField(errs, path, a);
    if (!addr) return;
    const type = stringField(errs, at(path, "type"), addr.type);
    const address = stringField(errs, at(path, "address"), addr.address);
    if (!address) errs.required(at(path, "address"));
    else if (type && IP_ADDRESS_TYPES.has(type)) checkIp(errs, at(path, "address"), address);
  });
}

export function validateNamespace(errs: FieldErrors, obj: Json): void {
  validateObjectMeta(errs, obj, "Namespace");
}
