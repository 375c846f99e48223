/**
 * Typed views of loaded objects. The shapes are `@kubernetes/client-node`'s models (imported
 * as types only: objects stay plain JSON as written in YAML, never class instances), narrowed
 * with a literal `kind` so a union of them discriminates, and with the fields that loading
 * guarantees (metadata.name; metadata.namespace for namespaced kinds after defaulting; spec
 * where the API requires one) made non-optional. Guards let callers write
 * `objects.filter(isPod)`.
 */
import type {
  V1ConfigMap,
  V1Deployment,
  V1DeploymentSpec,
  V1EndpointSlice,
  V1Ingress,
  V1IngressClass,
  V1IngressClassSpec,
  V1IngressSpec,
  V1Namespace,
  V1NetworkPolicy,
  V1NetworkPolicySpec,
  V1Node,
  V1ObjectMeta,
  V1Pod,
  V1PodSpec,
  V1Secret,
  V1Service,
  V1ServiceSpec,
} from "@kubernetes/client-node";
import type { ClusterConfigObject } from "./cluster-config.js";
import type { KubeKind } from "./kinds.js";
import { KIND_INFO } from "./kinds.js";

export type ClusterMeta = V1ObjectMeta & { name: string };
export type NamespacedMeta = V1ObjectMeta & { name: string; namespace: string };

type Typed<T, K extends KubeKind, M> = Omit<T, "apiVersion" | "kind" | "metadata"> & {
  apiVersion: (typeof KIND_INFO)[K]["apiVersion"];
  kind: K;
  metadata: M;
};

export type Namespace = Typed<V1Namespace, "Namespace", ClusterMeta>;
export type Pod = Typed<V1Pod, "Pod", NamespacedMeta> & { spec: V1PodSpec };
export type Deployment = Typed<V1Deployment, "Deployment", NamespacedMeta> & { spec: V1DeploymentSpec };
export type Service = Typed<V1Service, "Service", NamespacedMeta> & { spec: V1ServiceSpec };
export type EndpointSlice = Typed<V1EndpointSlice, "EndpointSlice", NamespacedMeta>;
export type NetworkPolicy = Typed<V1NetworkPolicy, "NetworkPolicy", NamespacedMeta> & {
  spec: V1NetworkPolicySpec;
};
export type Ingress = Typed<V1Ingress, "Ingress", NamespacedMeta> & { spec: V1IngressSpec };
export type IngressClass = Typed<V1IngressClass, "IngressClass", ClusterMeta> & { spec: V1IngressClassSpec };
export type Secret = Typed<V1Secret, "Secret", NamespacedMeta>;
export type ConfigMap = Typed<V1ConfigMap, "ConfigMap", NamespacedMeta>;
export type Node = Typed<V1Node, "Node", ClusterMeta>;

/** Every Kubernetes object flatnet accepts (all have metadata.name). */
export type KubeObject =
  | Namespace
  | Pod
  | Deployment
  | Service
  | EndpointSlice
  | NetworkPolicy
  | Ingress
  | IngressClass
  | Secret
  | ConfigMap
  | Node;

/** What a load returns: Kubernetes objects plus at most one flatnet `Cluster` config. */
export type LoadedObject = KubeObject | ClusterConfigObject;

export const isNamespace = (o: LoadedObject): o is Namespace => o.kind === "Namespace";
export const isPod = (o: LoadedObject): o is Pod => o.kind === "Pod";
export const isDeployment = (o: LoadedObject): o is Deployment => o.kind === "Deployment";
export const isService = (o: LoadedObject): o is Service => o.kind === "Service";
export const isEndpointSlice = (o: LoadedObject): o is EndpointSlice => o.kind === "EndpointSlice";
export const isNetworkPolicy = (o: LoadedObject): o is NetworkPolicy => o.kind === "NetworkPolicy";
export const isIngress = (o: LoadedObject): o is Ingress => o.kind === "Ingress";
export const isIngressClass = (o: LoadedObject): o is IngressClass => o.kind === "IngressClass";
export const isSecret = (o: LoadedObject): o is Secret => o.kind === "Secret";
export const isConfigMap = (o: LoadedObject): o is ConfigMap => o.kind === "ConfigMap";
export const isNode = (o: LoadedObject): o is Node => o.kind === "Node";
export const isClusterConfig = (o: LoadedObject): o is ClusterConfigObject => o.kind === "Cluster";
export const isKubeObject = (o: LoadedObject): o is KubeObject => o.kind !== "Cluster";

/**
 * `Kind/namespace/name` for namespaced kinds, `Kind/name` otherwise (`Cluster/<name>` for the
 * Cluster config, whose name is top-level as in kind's config).
 */
export function objectKey(obj: LoadedObject): string {
  if (obj.kind === "Cluster") return `Cluster/${obj.name ?? ""}`;
  const info = KIND_INFO[obj.kind];
  const ns = info.namespaced ? `${obj.metadata.namespace ?? ""}/` : "";
  return `${obj.kind}/${ns}${obj.metadata.name}`;
}

/** "Service shop/web", "Node node-1": how messages name an object. */
export function objectRef(obj: LoadedObject): string {
  if (obj.kind === "Cluster") return obj.name ? `Cluster ${obj.name}` : "Cluster";
  const ns = KIND_INFO[obj.kind].namespaced && obj.metadata.namespace ? `${obj.metadata.namespace}/` : "";
  return `${obj.kind} ${ns}${obj.metadata.name}`;
}
