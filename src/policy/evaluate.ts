/**
 * Questions asked of a PolicyModel, per connection (with the reasons, for `trace`) and per
 * pod (as pod sets, for the matrix and the enforcer).
 *
 * A connection from S to D on port P/protocol is allowed when S's egress allows it (S not
 * isolated for egress, or some rule of a policy selecting S matches D and P) and D's ingress
 * allows it (the same for D's policies and S). Replies of an allowed connection are always
 * allowed (conntrack's established state), so they are never evaluated. A pod talking to its
 * own IP never leaves its network namespace: policy does not apply (loopback). Ingress from
 * the node a pod runs on is always allowed, as Kubernetes requires for kubelet probes.
 *
 * Named ports resolve against the destination: the selected pod for ingress rules, the peer
 * pod for egress rules; an address that is no pod has no named ports, so they never match it.
 */
import { cidrContains, parseIp } from "../ipam/cidr.js";
import { type Bitset, emptySet, has, orInto } from "./bitset.js";
import type { PolicyModel } from "./model.js";
import type {
  CompiledPeer,
  CompiledRule,
  Direction,
  DirectionVerdict,
  Endpoint,
  PortMatch,
  Protocol,
  RuleRef,
} from "./types.js";
import type { PodUniverse } from "./universe.js";

export function portMatches(
  u: PodUniverse,
  pm: PortMatch,
  dst: number | undefined,
  port: number,
  protocol: Protocol,
): boolean {
  if (pm.protocol !== protocol) return false;
  switch (pm.kind) {
    case "all":
      return true;
    case "range":
      return port >= pm.from && port <= pm.to;
    case "named":
      return dst !== undefined && u.resolveNamedPort(dst, pm.name, protocol) === port;
  }
}

/** Which port entry of the rule matches: "any" (no ports), its index, or undefined. */
export function rulePortMatch(
  u: PodUniverse,
  rule: CompiledRule,
  dst: number | undefined,
  port: number,
  protocol: Protocol,
): number | "any" | undefined {
  if (rule.ports === null) return "any";
  return rule.ports.find((pm) => portMatches(u, pm, dst, port, protocol))?.index;
}

function peerMatches(peer: CompiledPeer, ep: Endpoint): boolean {
  if ("pod" in ep) return has(peer.pods, ep.pod);
  if (peer.kind !== "ipBlock") return false;
  const ip = parseIp(ep.ip);
  return cidrContains(peer.cidr, ip) && !peer.except.some((x) => cidrContains(x, ip));
}

/** Which peer of the rule matches the endpoint: "any" (no peers), its index, or undefined. */
export function rulePeerMatch(rule: CompiledRule, ep: Endpoint): number | "any" | undefined {
  if (rule.peers === null) return "any";
  return rule.peers.find((p) => peerMatches(p, ep))?.index;
}

/** An address that is a pod's IP stands for that pod. */
export function normalizeEndpoint(u: PodUniverse, ep: Endpoint): Endpoint {
  if ("pod" in ep) return ep;
  const pod = u.podByIp(ep.ip);
  return pod === undefined ? ep : { pod };
}

/**
 * The verdict of one direction: `subject` is the pod whose policies apply (the destination
 * for ingress, the source for egress), `peer` the other end.
 */
export function directionVerdict(
  model: PolicyModel,
  direction: Direction,
  subject: number,
  peer: Endpoint,
  port: number,
  protocol: Protocol,
): DirectionVerdict {
  const u = model.universe;
  const other = normalizeEndpoint(u, peer);
  const policies = model.policiesFor(subject, direction);
  const isolatedBy = policies.map((p) => p.key);
  const base = { direction, isolated: policies.length > 0, isolatedBy };
  if (
    direction === "ingress" &&
    !("pod" in other) &&
    other.node !== undefined &&
    other.node === u.pods[subject]!.node
  ) {
    return { ...base, allowed: true, allowedBy: [], fromOwnNode: true };
  }
  if (policies.length === 0) return { ...base, allowed: true, allowedBy: [] };
  const dst = direction === "ingress" ? subject : "pod" in other ? other.pod : undefined;
  const allowedBy: RuleRef[] = [];
  for (const p of policies) {
    for (const rule of (direction === "ingress" ? p.ingress : p.egress) ?? []) {
      const portIdx = rulePortMatch(u, rule, dst, port, protocol);
      if (portIdx === undefined) continue;
      const peerIdx = rulePeerMatch(rule, other);
      if (peerIdx === undefined) continue;
      const ref: RuleRef = { policy: p.key, direction, rule: rule.index };
      if (peerIdx !== "any") ref.peer = peerIdx;
      if (portIdx !== "any") ref.port = portIdx;
      allowedBy.push(ref);
    }
  }
  return { ...base, allowed: allowedBy.length > 0, allowedBy };
}

export interface ConnectionVerdict {
  allowed: boolean;
  /** A pod to its own IP: never leaves the pod, policy does not apply. */
  loopback: boolean;
  /** The source pod's egress verdict (absent when the source is no pod). */
  egress?: DirectionVerdict;
  /** The destination pod's ingress verdict (absent when the destination is no pod). */
  ingress?: DirectionVerdict;
}

export function connectionVerdict(
  model: PolicyModel,
  src: Endpoint,
  dst: Endpoint,
  port: number,
  protocol: Protocol,
): ConnectionVerdict {
  const u = model.universe;
  const s = normalizeEndpoint(u, src);
  const d = normalizeEndpoint(u, dst);
  if ("pod" in s && "pod" in d && s.pod === d.pod) return { allowed: true, loopback: true };
  const out: ConnectionVerdict = { allowed: true, loopback: false };
  if ("pod" in s) {
    out.egress = directionVerdict(model, "egress", s.pod, d, port, protocol);
    out.allowed &&= out.egress.allowed;
  }
  if ("pod" in d) {
    out.ingress = directionVerdict(model, "ingress", d.pod, s, port, protocol);
    out.allowed &&= out.ingress.allowed;
  }
  return out;
}

/**
 * The ingress rules of pod `dst`'s policies whose ports match P/protocol on `dst`, or null
 * when `dst` is not isolated for ingress (everything may connect).
 */
export function matchingIngressRules(
  model: PolicyModel,
  dst: number,
  port: number,
  protocol: Protocol,
): CompiledRule[] | null {
  const policies = model.policiesFor(dst, "ingress");
  if (policies.length === 0) return null;
  const out: CompiledRule[] = [];
  for (const p of policies) {
    for (const rule of p.ingress ?? []) {
      if (rulePortMatch(model.universe, rule, dst, port, protocol) !== undefined) out.push(rule);
    }
  }
  return out;
}

/** Pods that may connect to `dst` on P/protocol, or null when `dst` is not isolated. */
export function ingressSources(
  model: PolicyModel,
  dst: number,
  port: number,
  protocol: Protocol,
): Bitset | null {
  const rules = matchingIngressRules(model, dst, port, protocol);
  if (rules === null) return null;
  const out = emptySet(model.size);
  for (const r of rules) orInto(out, r.peerPods);
  return out;
}

const egressTargetMemo = new WeakMap<CompiledRule, Map<string, Bitset>>();

/**
 * The pods an egress rule lets its selected pods connect to on P/protocol: its peers, limited
 * to the pods where one of its port entries matches (named ports resolve per destination).
 * Memoized per rule; shared result, do not modify.
 */
export function egressRuleTargets(
  u: PodUniverse,
  rule: CompiledRule,
  port: number,
  protocol: Protocol,
): Bitset {
  let memo = egressTargetMemo.get(rule);
  if (!memo) {
    memo = new Map();
    egressTargetMemo.set(rule, memo);
  }
  const key = `${port}/${protocol}`;
  const hit = memo.get(key);
  if (hit) return hit;
  let out: Bitset;
  if (
    rule.ports === null ||
    rule.ports.some((pm) => pm.kind !== "named" && portMatches(u, pm, undefined, port, protocol))
  ) {
    out = rule.peerPods;
  } else {
    const mask = emptySet(u.size);
    for (const pm of rule.ports) {
      if (pm.kind === "named" && pm.protocol === protocol)
        orInto(mask, u.namedPortPods(pm.name, protocol, port));
    }
    out = mask;
    for (let w = 0; w < out.length; w++) out[w]! &= rule.peerPods[w]!;
  }
  memo.set(key, out);
  return out;
}

/** Pods `src` may connect to on P/protocol, or null when `src` is not isolated for egress. */
export function egressTargets(
  model: PolicyModel,
  src: number,
  port: number,
  protocol: Protocol,
): Bitset | null {
  const policies = model.policiesFor(src, "egress");
  if (policies.length === 0) return null;
  const out = emptySet(model.size);
  for (const p of policies)
    for (const rule of p.egress ?? []) orInto(out, egressRuleTargets(model.universe, rule, port, protocol));
  return out;
}
