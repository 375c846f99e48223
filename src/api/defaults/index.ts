/**
 * Defaulting, run before validation as the API server does. `applyDefaults` returns a new
 * object (the input is never mutated): metadata.namespace "default" for namespaced kinds (and
 * none for cluster-scoped ones, as kubectl drops it), then per-kind defaults. Objects of the
 * wrong shape are defaulted where possible and left for validation to report. Ingress and
 * IngressClass have no defaults in networking.k8s.io/v1 (pathType is required, not defaulted;
 * a default class is an admission plugin's choice, left to the ingress controller).
 */
import { DEFAULT_NAMESPACE, isKnownKind, isNamespacedKind } from "../kinds.js";
import { inheritSource } from "../source.js";
import { isRecord, type Json } from "../validate/field.js";
import { defaultPodSpec } from "./pod.js";
import { defaultServiceSpec } from "./service.js";

export { pullPolicyFor } from "./pod.js";

export function applyDefaults<T extends object>(obj: T): T {
  const copy = structuredClone(obj) as Json;
  inheritSource(copy, obj);
  const kind = copy.kind;
  if (!isKnownKind(kind) || kind === "Cluster") return copy as T;
  if (isRecord(copy.metadata)) {
    if (isNamespacedKind(kind)) {
      if (
        copy.metadata.namespace === undefined ||
        copy.metadata.namespace === null ||
        copy.metadata.namespace === ""
      ) {
        copy.metadata.namespace = DEFAULT_NAMESPACE;
      }
    } else {
      delete copy.metadata.namespace;
    }
  }
  const spec = isRecord(copy.spec) ? copy.spec : undefined;
  switch (kind) {
    case "Pod":
      if (spec) defaultPodSpec(spec);
      break;
    case "Deployment":
      if (spec) defaultDeploymentSpec(spec);
      break;
    case "Service":
      // A Service without spec still gets type ClusterIP etc., then fails "ports required".
      copy.spec = spec ?? {};
      defaultServiceSpec(copy.spec as Json);
      break;
    case "NetworkPolicy":
      if (spec) defaultNetworkPolicySpec(spec);
      break;
    case "EndpointSlice":
      defaultPortProtocols(copy.ports);
      break;
    case "Secret":
      defaultSecret(copy);
      break;
  }
  return copy as T;
}

function defaultPortProtocols(ports: unknown): void {
  if (!Array.isArray(ports)) return;
  for (const p of ports) {
    if (isRecord(p) && (p.protocol === undefined || p.protocol === null || p.protocol === ""))
      p.protocol = "TCP";
  }
}

function defaultDeploymentSpec(spec: Json): void {
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined) spec.progressDeadlineSeconds = 600;
  if (spec.strategy === undefined || spec.strategy === null) spec.strategy = {};
  const strategy = spec.strategy;
  if (isRecord(strategy)) {
    if (strategy.type === undefined || strategy.type === "") strategy.type = "RollingUpdate";
    if (strategy.type === "RollingUpdate") {
      const ru = isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate : {};
      if (ru.maxUnavailable === undefined) ru.maxUnavailable = "25%";
      if (ru.maxSurge === undefined) ru.maxSurge = "25%";
      strategy.rollingUpdate = ru;
    }
  }
  const template = spec.template;
  if (isRecord(template) && isRecord(template.spec)) defaultPodSpec(template.spec);
}

function defaultNetworkPolicySpec(spec: Json): void {
  // As the API server: Ingress always, Egress only when egress rules are given (a present but
  // empty `egress: []` does not count; write policyTypes explicitly to deny all egress).
  const noTypes = spec.policyTypes === undefined || spec.policyTypes === null;
  if (noTypes || (Array.isArray(spec.policyTypes) && spec.policyTypes.length === 0)) {
    const hasEgress = Array.isArray(spec.egress) && spec.egress.length > 0;
    spec.policyTypes = hasEgress ? ["Ingress", "Egress"] : ["Ingress"];
  }
  for (const direction of ["ingress", "egress"]) {
    const rules = spec[direction];
    if (!Array.isArray(rules)) continue;
    for (const rule of rules) if (isRecord(rule)) defaultPortProtocols(rule.ports);
  }
}

/**
 * type Opaque; stringData merged into data (base64, winning over data for the same key) and
 * dropped, as the API server stores it.
 */
function defaultSecret(secret: Json): void {
  if (secret.type === undefined || secret.type === null || secret.type === "") secret.type = "Opaque";
  const stringData = secret.stringData;
  if (stringData === undefined || stringData === null) return;
  if (!isRecord(stringData) || !Object.values(stringData).every((v) => typeof v === "string")) return;
  const data = isRecord(secret.data) ? secret.data : {};
  for (const [key, value] of Object.entries(stringData)) {
    data[key] = Buffer.from(value as string, "utf8").toString("base64");
  }
  secret.data = data;
  delete secret.stringData;
}
