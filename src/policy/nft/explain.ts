/**
 * Which rule of a node's policy table decides a connection, predicted from a direction's
 * verdict as the model (and `flatnet trace`) gives it: the policies that isolate the pod, and
 * the rules that allow. That is what `nft monitor trace` must then report for the
 * connection's first packet, so the kernel cross-check compares the two:
 *  - not isolated (or from the pod's own node, or to itself): the direction's chain is never
 *    entered;
 *  - isolated, nothing allows: the chain's final `drop`;
 *  - allowed: the first allow set, in the chain's order, holding an element of one of the
 *    allowing rules (of every port entry of it that matches, where the model names only the
 *    first). The set follows from the rule's shape: without peers the `any` sets, else the
 *    `peer` sets; a port entry without a port the `-proto` set, one port or a named port the
 *    `-port` set, a port range the `-range` set; no ports the bare set. An egress named port
 *    resolves per destination identity, so it is in `egress-peer-port` even without peers.
 * Pure.
 */
import { portMatches } from "../evaluate.js";
import type { PolicyModel } from "../model.js";
import type { Direction, Protocol, RuleRef } from "../types.js";
import { ALLOW_KINDS, type AllowKind, allowSet } from "./ruleset.js";

export interface PolicyVerdictLike {
  isolated: boolean;
  allowed: boolean;
  allowedBy: readonly RuleRef[];
  fromOwnNode?: boolean;
}

export type KernelDecision =
  | { chain: Direction; entered: false }
  | { chain: Direction; entered: true; verdict: "drop" }
  | { chain: Direction; entered: true; verdict: "accept" | "return"; set: string };

/** The connection: its port and protocol, and the destination pod (named ports resolve on it). */
export interface Query {
  port: number;
  protocol: Protocol;
  dst?: number;
}

/**
 * The allow-set kinds an allowing rule has elements for this connection in: one per port
 * entry that matches (the model names the first; the kernel holds them all).
 */
export function allowKindsOf(model: PolicyModel, ref: RuleRef, q: Query): AllowKind[] {
  const prefix = ref.peer === undefined ? "any" : "peer";
  const rule = model.policy(ref.policy)?.[ref.direction]?.[ref.rule];
  if (!rule) throw new Error(`no ${ref.policy} spec.${ref.direction}[${ref.rule}] in the model`);
  if (rule.ports === null) return [prefix];
  return rule.ports
    .filter((pm) => portMatches(model.universe, pm, q.dst, q.port, q.protocol))
    .map((pm): AllowKind => {
      // Egress named ports resolve per destination: by identity, even for "every peer".
      if (pm.kind === "named" && ref.direction === "egress") return "peer-port";
      if (pm.kind === "all") return `${prefix}-proto`;
      if (pm.kind === "range" && pm.from !== pm.to) return `${prefix}-range`;
      return `${prefix}-port`;
    });
}

export function kernelDecision(
  model: PolicyModel,
  direction: Direction,
  v: PolicyVerdictLike,
  q: Query,
): KernelDecision {
  if (!v.isolated || v.fromOwnNode) return { chain: direction, entered: false };
  if (!v.allowed) return { chain: direction, entered: true, verdict: "drop" };
  const kinds = new Set(v.allowedBy.flatMap((ref) => allowKindsOf(model, ref, q)));
  const first = ALLOW_KINDS.find((k) => kinds.has(k));
  if (!first) throw new Error("an allowed, isolated direction needs at least one allowing rule");
  return {
    chain: direction,
    entered: true,
    verdict: direction === "ingress" ? "accept" : "return",
    set: allowSet(direction, first),
  };
}
