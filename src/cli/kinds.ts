/** The kinds `get` and `delete` accept, with kubectl's plural and short names. */
import { UserError } from "../util/errors.js";

export interface KindInfo {
  kind: string;
  namespaced: boolean;
  names: string[];
}

export const CLI_KINDS: KindInfo[] = [
  { kind: "Pod", namespaced: true, names: ["pod", "pods", "po"] },
  { kind: "Node", namespaced: false, names: ["node", "nodes", "no"] },
  { kind: "Namespace", namespaced: false, names: ["namespace", "namespaces", "ns"] },
  { kind: "Service", namespaced: true, names: ["service", "services", "svc"] },
  { kind: "Deployment", namespaced: true, names: ["deployment", "deployments", "deploy"] },
  { kind: "EndpointSlice", namespaced: true, names: ["endpointslice", "endpointslices"] },
  { kind: "NetworkPolicy", namespaced: true, names: ["networkpolicy", "networkpolicies", "netpol"] },
  { kind: "Ingress", namespaced: true, names: ["ingress", "ingresses", "ing"] },
  { kind: "IngressClass", namespaced: false, names: ["ingressclass", "ingressclasses"] },
  { kind: "Secret", namespaced: true, names: ["secret", "secrets"] },
  { kind: "ConfigMap", namespaced: true, names: ["configmap", "configmaps", "cm"] },
];

export function resolveKind(arg: string): KindInfo {
  const lower = arg.toLowerCase();
  const found = CLI_KINDS.find((k) => k.names.includes(lower) || k.kind.toLowerCase() === lower);
  if (!found) {
    throw new UserError(
      `unknown resource type "${arg}"`,
      `use one of: ${CLI_KINDS.map((k) => k.names[1]).join(", ")}`,
    );
  }
  return found;
}
