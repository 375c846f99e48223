/**
 * The kinds flatnet accepts, with the one apiVersion each is served at and whether it lives in
 * a namespace. This table is the single source of truth for the loader's kind checks, for
 * defaulting `metadata.namespace`, and for object keys.
 */

export const KIND_INFO = {
  Namespace: { apiVersion: "v1", namespaced: false },
  Pod: { apiVersion: "v1", namespaced: true },
  Service: { apiVersion: "v1", namespaced: true },
  Secret: { apiVersion: "v1", namespaced: true },
  ConfigMap: { apiVersion: "v1", namespaced: true },
  Node: { apiVersion: "v1", namespaced: false },
  Deployment: { apiVersion: "apps/v1", namespaced: true },
  EndpointSlice: { apiVersion: "discovery.k8s.io/v1", namespaced: true },
  NetworkPolicy: { apiVersion: "networking.k8s.io/v1", namespaced: true },
  Ingress: { apiVersion: "networking.k8s.io/v1", namespaced: true },
  IngressClass: { apiVersion: "networking.k8s.io/v1", namespaced: false },
  Cluster: { apiVersion: "flatnet.dev/v1alpha1", namespaced: false },
} as const;

export type Kind = keyof typeof KIND_INFO;
export type KubeKind = Exclude<Kind, "Cluster">;

export const KINDS = Object.keys(KIND_INFO) as Kind[];

export function isKnownKind(kind: unknown): kind is Kind {
  return typeof kind === "string" && Object.hasOwn(KIND_INFO, kind);
}

export function isNamespacedKind(kind: Kind): boolean {
  return KIND_INFO[kind].namespaced;
}

/** "Namespace (v1), Pod (v1), Deployment (apps/v1), ..." for error messages. */
export function describeAcceptedKinds(): string {
  return KINDS.map((k) => `${k} (${KIND_INFO[k].apiVersion})`).join(", ");
}

export const DEFAULT_NAMESPACE = "default";
