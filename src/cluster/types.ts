/**
 * The object shape the control plane stores: plain Kubernetes JSON (as loaded from YAML),
 * typed loosely at this layer; components narrow to @kubernetes/client-node types.
 */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
  }>;
  [k: string]: unknown;
}

export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: any;
  status?: any;
  [k: string]: unknown;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";
export interface WatchEvent {
  type: WatchEventType;
  object: KObject;
}

/** Kinds without a namespace. */
export const CLUSTER_SCOPED = new Set(["Namespace", "Node", "IngressClass", "Cluster"]);

export function keyOf(kind: string, namespace: string | undefined, name: string): string {
  return CLUSTER_SCOPED.has(kind) ? `${kind}/${name}` : `${kind}/${namespace ?? "default"}/${name}`;
}

export function objectKey(obj: KObject): string {
  return keyOf(obj.kind, obj.metadata.namespace, obj.metadata.name);
}

/** `namespace/name` as kubectl and the probe matrix print it. */
export function nsName(obj: KObject): string {
  return `${obj.metadata.namespace ?? "default"}/${obj.metadata.name}`;
}
