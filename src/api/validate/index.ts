/**
 * Validation entry point: one validator per kind, each returning the API server's field
 * errors for an object (already defaulted, as the API server validates after defaulting).
 */
import type { FieldError } from "../errors.js";
import type { Kind } from "../kinds.js";
import { validateClusterConfigObject } from "./cluster.js";
import { validateDeployment } from "./deployment.js";
import { validateEndpointSlice } from "./endpointslice.js";
import { FieldErrors, type Json } from "./field.js";
import { validateIngress, validateIngressClass } from "./ingress.js";
import { validateNetworkPolicy } from "./networkpolicy.js";
import { validateNamespace, validateNode } from "./node.js";
import { validatePod } from "./pod.js";
import { validateConfigMap, validateSecret } from "./secret.js";
import { validateService } from "./service.js";

const VALIDATORS: Record<Kind, (errs: FieldErrors, obj: Json) => void> = {
  Namespace: validateNamespace,
  Pod: validatePod,
  Deployment: validateDeployment,
  Service: validateService,
  EndpointSlice: validateEndpointSlice,
  NetworkPolicy: validateNetworkPolicy,
  Ingress: validateIngress,
  IngressClass: validateIngressClass,
  Secret: validateSecret,
  ConfigMap: validateConfigMap,
  Node: validateNode,
  Cluster: validateClusterConfigObject,
};

/** All field errors of one object of a known kind (empty when the API server would accept it). */
export function validateObject(kind: Kind, obj: Json): FieldError[] {
  const errs = new FieldErrors();
  VALIDATORS[kind](errs, obj);
  return errs.list;
}
