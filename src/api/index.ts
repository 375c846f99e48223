/**
 * flatnet's Kubernetes object layer: load manifests (files, directories, text), default and
 * validate them as the API server would, select by labels, expand Deployments into Pods, and
 * resolve the lab's Cluster config. Everything else reads objects through this module.
 */
export { admitObjects } from "./admit.js";
export {
  BACKENDS,
  type Backend,
  type ClusterConfig,
  type ClusterConfigObject,
  type ClusterNetworkingSpec,
  type ClusterNode,
  type ClusterNodeSpec,
  type ClusterOverrides,
  defaultClusterConfig,
  NODE_ROLES,
  type NodeRole,
  resolveClusterConfig,
} from "./cluster-config.js";
export { applyDefaults } from "./defaults/index.js";
export {
  type FieldError,
  type FieldErrorType,
  formatFieldError,
  ManifestError,
  ManifestErrors,
  type ObjectSource,
} from "./errors.js";
export { DEFAULT_NAMESPACE, isNamespacedKind, KIND_INFO, KINDS, type Kind, type KubeKind } from "./kinds.js";
export { listManifestFiles, loadManifests, parseManifestText } from "./load.js";
export { parseDocuments, type RawObject } from "./parse.js";
export {
  type Labels,
  mapSelectorMatches,
  parseSelectorString,
  selectorMatches,
  selectsEverything,
} from "./selector.js";
export { describeObject, inheritSource, recordSource, sourceOf } from "./source.js";
export { podTemplateHash, SAFE_ALPHABET } from "./template-hash.js";
export * from "./types.js";
export { validateObject } from "./validate/index.js";
export { deploymentPodNames, deploymentPods, expandWorkloads, replicaSetName } from "./workloads.js";
