/**
 * NetworkPolicy as a pure model (networking.k8s.io/v1 semantics, exact): policies compiled
 * against the cluster's pods and namespaces into an IR that the analyzer, the tracer and the
 * nft enforcer all read. See types.ts for the IR, compile.ts for the API's rules,
 * evaluate.ts for the questions it answers, model.ts for incremental changes.
 */

export type { Bitset } from "./bitset.js";
export * as bitset from "./bitset.js";
export {
  compilePolicy,
  effectivePolicyTypes,
  type NetworkPolicyLike,
  type NetworkPolicySpecJson,
  type PolicyRuleJson,
  policyKey,
} from "./compile.js";
export { describeRuleRef, describeVerdict } from "./describe.js";
export {
  type ConnectionVerdict,
  connectionVerdict,
  directionVerdict,
  egressRuleTargets,
  egressTargets,
  ingressSources,
  matchingIngressRules,
  normalizeEndpoint,
  portMatches,
  rulePeerMatch,
  rulePortMatch,
} from "./evaluate.js";
export { namedPortsOf, policyNamespace, policyPod, statusIps } from "./from-objects.js";
export { type Affected, PolicyModel } from "./model.js";
export * from "./types.js";
export { NAMESPACE_NAME_LABEL, PodUniverse, selectorKey } from "./universe.js";
