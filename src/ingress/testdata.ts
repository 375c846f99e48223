/**
 * Builders of Ingress-related objects for the ingress unit tests (compact, readable cases).
 */
import type { KObject } from "../cluster/types.js";

export interface PathSpec {
  path?: string;
  type?: string;
  /** Service name; the port is 80 unless `port` says otherwise (a name or a number). */
  svc: string;
  port?: number | string;
}

export function backend(svc: string, port: number | string = 80) {
  return { service: { name: svc, port: typeof port === "number" ? { number: port } : { name: port } } };
}

export function rule(host: string | undefined, ...paths: PathSpec[]) {
  return {
    ...(host ? { host } : {}),
    http: {
      paths: paths.map((p) => ({
        ...(p.path !== undefined ? { path: p.path } : {}),
        pathType: p.type ?? "Prefix",
        backend: backend(p.svc, p.port),
      })),
    },
  };
}

let clock = 0;

/** An Ingress; each call is one second younger than the previous unless `created` is given. */
export function ing(
  name: string,
  spec: Record<string, unknown>,
  opts: { ns?: string; created?: string; annotations?: Record<string, string> } = {},
): KObject {
  clock++;
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name,
      namespace: opts.ns ?? "default",
      creationTimestamp: opts.created ?? new Date(Date.UTC(2026, 0, 1, 0, 0, clock)).toISOString(),
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
    },
    spec,
  };
}

export function ingressClass(
  name: string,
  controller: string,
  opts: { isDefault?: boolean; created?: string } = {},
): KObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: {
      name,
      creationTimestamp: opts.created ?? "2026-01-01T00:00:00Z",
      ...(opts.isDefault ? { annotations: { "ingressclass.kubernetes.io/is-default-class": "true" } } : {}),
    },
    spec: { controller },
  };
}
