/**
 * NetworkPolicies: podSelector present (`{}` selects every pod in the namespace), policyTypes
 * values, rule ports (protocol, numeric or named port, endPort only after a numeric port and
 * not below it) and peers (ipBlock alone, or pod/namespace selectors; except strictly inside cidr).
 */
import { cidrContains, cidrEquals } from "../../ipam/cidr.js";
import {
  at,
  checkEnum,
  type FieldErrors,
  idx,
  intField,
  type Json,
  listField,
  objectField,
  stringField,
  stringListField,
} from "./field.js";
import { checkCidr } from "./ip.js";
import { validateLabelSelector } from "./labels.js";
import { validateObjectMeta } from "./metadata.js";
import { validatePortNumOrName, validateProtocol } from "./ports.js";

export const POLICY_TYPES = ["Ingress", "Egress"] as const;

export function validateNetworkPolicy(errs: FieldErrors, obj: Json): void {
  validateObjectMeta(errs, obj, "NetworkPolicy");
  const spec = objectField(errs, "spec", obj.spec);
  if (!spec) {
    errs.required("spec");
    return;
  }
  if (spec.podSelector === undefined || spec.podSelector === null) {
    errs.required("spec.podSelector", "use `podSelector: {}` to select every pod in the namespace");
  } else {
    validateLabelSelector(errs, "spec.podSelector", spec.podSelector);
  }
  const types = stringListField(errs, "spec.policyTypes", spec.policyTypes);
  if (types.length > 2) errs.tooMany("spec.policyTypes", types.length, 2);
  const seen = new Set<string>();
  types.forEach((t, i) => {
    checkEnum(errs, idx("spec.policyTypes", i), t, POLICY_TYPES);
    if (seen.has(t)) errs.duplicate(idx("spec.policyTypes", i), t);
    seen.add(t);
  });
  for (const [direction, peersField] of [
    ["ingress", "from"],
    ["egress", "to"],
  ] as const) {
    listField(errs, `spec.${direction}`, spec[direction]).forEach((r, i) => {
      const path = idx(`spec.${direction}`, i);
      const rule = objectField(errs, path, r);
      if (!rule) return;
      const portsPath = at(path, "ports");
      listField(errs, portsPath, rule.ports).forEach((p, j) => {
        validatePolicyPort(errs, idx(portsPath, j), p);
      });
      const peersPath = at(path, peersField);
      listField(errs, peersPath, rule[peersField]).forEach((p, j) => {
        validatePeer(errs, idx(peersPath, j), p);
      });
    });
  }
}

function validatePolicyPort(errs: FieldErrors, path: string, v: unknown): void {
  const port = objectField(errs, path, v);
  if (!port) return;
  validateProtocol(errs, at(path, "protocol"), port.protocol);
  validatePortNumOrName(errs, at(path, "port"), port.port);
  const endPort = intField(errs, at(path, "endPort"), port.endPort);
  if (endPort === undefined) return;
  if (port.port === undefined || port.port === null) {
    errs.required(at(path, "port"), "must be specified when `endPort` is specified");
  } else if (typeof port.port === "string") {
    errs.forbidden(at(path, "endPort"), "may not be specified when `port` is non-numeric");
  } else if (typeof port.port === "number" && endPort < port.port) {
    errs.invalid(at(path, "endPort"), endPort, "must be greater than or equal to `port`");
  } else if (endPort > 65535) {
    errs.invalid(at(path, "endPort"), endPort, "must be between 1 and 65535, inclusive");
  }
}

function validatePeer(errs: FieldErrors, path: string, v: unknown): void {
  const peer = objectField(errs, path, v);
  if (!peer) return;
  const has = (k: string) => peer[k] !== undefined && peer[k] !== null;
  if (!has("podSelector") && !has("namespaceSelector") && !has("ipBlock")) {
    errs.required(path, "must specify a peer: podSelector, namespaceSelector or ipBlock");
    return;
  }
  if (has("ipBlock") && (has("podSelector") || has("namespaceSelector"))) {
    errs.forbidden(path, "may not specify both ipBlock and another peer");
  }
  if (has("podSelector")) validateLabelSelector(errs, at(path, "podSelector"), peer.podSelector);
  if (has("namespaceSelector"))
    validateLabelSelector(errs, at(path, "namespaceSelector"), peer.namespaceSelector);
  const block = objectField(errs, at(path, "ipBlock"), peer.ipBlock);
  if (!block) return;
  const cidrPath = at(path, "ipBlock.cidr");
  const cidrText = stringField(errs, cidrPath, block.cidr);
  if (!cidrText) errs.required(cidrPath);
  const cidr = cidrText ? checkCidr(errs, cidrPath, cidrText) : undefined;
  const exceptPath = at(path, "ipBlock.except");
  stringListField(errs, exceptPath, block.except).forEach((text, i) => {
    const except = checkCidr(errs, idx(exceptPath, i), text);
    if (!except || !cidr) return;
    const inside =
      except.family === cidr.family &&
      except.prefix >= cidr.prefix &&
      cidrContains(cidr, except.network) &&
      !cidrEquals(except, cidr);
    if (!inside) errs.invalid(idx(exceptPath, i), text, `must be a strict subset of \`cidr\` ${cidrText}`);
  });
}
