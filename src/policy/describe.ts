/**
 * Policy verdicts in words, as `trace` prints them: which policy and rule allowed a
 * connection ("allowed by x/allow-b: spec.ingress[0] (from[1], ports[0])"), or which policies
 * isolate a pod when none allows it.
 */
import type { DirectionVerdict, RuleRef } from "./types.js";

/** "x/allow-b spec.ingress[0] from[1] ports[0]" */
export function describeRuleRef(ref: RuleRef): string {
  const peers = ref.direction === "ingress" ? "from" : "to";
  const parts = [`${ref.policy} spec.${ref.direction}[${ref.rule}]`];
  parts.push(
    ref.peer === undefined
      ? `(every ${peers === "from" ? "source" : "destination"})`
      : `${peers}[${ref.peer}]`,
  );
  parts.push(ref.port === undefined ? "(every port)" : `ports[${ref.port}]`);
  return parts.join(" ");
}

/** One line for a direction's verdict; `pod` names the pod whose policies apply. */
export function describeVerdict(v: DirectionVerdict, pod: string): string {
  if (v.fromOwnNode) return `allowed: traffic from ${pod}'s own node is always allowed`;
  if (!v.isolated) return `allowed: no NetworkPolicy selects ${pod} for ${v.direction}`;
  const policies = v.isolatedBy.join(", ");
  if (v.allowed) return `allowed by ${v.allowedBy.map(describeRuleRef).join("; ")}`;
  const plural = v.isolatedBy.length > 1 ? "policies" : "policy";
  return `denied: ${pod} is isolated for ${v.direction} by ${plural} ${policies} and no rule of ${
    v.isolatedBy.length > 1 ? "them" : "it"
  } allows this connection`;
}
