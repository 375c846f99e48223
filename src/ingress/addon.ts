/**
 * The ingress controller add-on as Kubernetes objects, the way ingress-nginx is installed on
 * kind: namespace `flatnet-ingress`, a Deployment of controller pods running src/ingress/main.ts
 * (it mirrors the lab's state over the daemon socket, like the DNS add-on), the NodePort
 * Service `flatnet-ingress` (ports `http` 80 and `https` 443; the NodePorts are allocated,
 * `flatnet get svc -n flatnet-ingress` shows them) reachable on every node, and the
 * IngressClass `flatnet` (controller `flatnet.dev/ingress`), marked the default class so
 * class-less Ingresses in the lab are served (re-apply it without the annotation to opt out).
 *
 * externalTrafficPolicy stays Cluster so every node answers; the price, as in Kubernetes, is
 * that the client address reaching the proxy (X-Forwarded-For) is the node's after SNAT.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { applyDefaults } from "../api/index.js";
import type { KObject } from "../cluster/types.js";
import { DEFAULT_CLASS_ANNOTATION, FLATNET_CONTROLLER } from "./class.js";

export const INGRESS_NAMESPACE = "flatnet-ingress";
export const INGRESS_SERVICE = { namespace: INGRESS_NAMESPACE, name: "flatnet-ingress" };
export const INGRESS_CLASS = "flatnet";
export const INGRESS_APP_LABEL = { "app.kubernetes.io/name": "flatnet-ingress" };
export const STATUS_PORT = 10254;

export interface IngressAddonOptions {
  /** The lab daemon's RPC socket. */
  labSocket: string;
  replicas?: number;
  /** The Node.js binary and the entry script; defaults: this process's and main.js here. */
  node?: string;
  entry?: string;
}

export function ingressEntryScript(): string {
  const js = fileURLToPath(new URL("./main.js", import.meta.url));
  if (!existsSync(js)) throw new Error(`ingress entry ${js} is missing: run \`npm run build\``);
  return js;
}

export function ingressAddonObjects(o: IngressAddonOptions): KObject[] {
  const objects: KObject[] = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: INGRESS_NAMESPACE, labels: INGRESS_APP_LABEL } },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "IngressClass",
      metadata: { name: INGRESS_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" } },
      spec: { controller: FLATNET_CONTROLLER },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { ...INGRESS_SERVICE, labels: INGRESS_APP_LABEL },
      spec: {
        type: "NodePort",
        selector: INGRESS_APP_LABEL,
        ports: [
          { name: "http", port: 80, protocol: "TCP", targetPort: "http" },
          { name: "https", port: 443, protocol: "TCP", targetPort: "https" },
        ],
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: {
        name: "flatnet-ingress-controller",
        namespace: INGRESS_NAMESPACE,
        labels: INGRESS_APP_LABEL,
      },
      spec: {
        replicas: o.replicas ?? 2,
        selector: { matchLabels: INGRESS_APP_LABEL },
        template: {
          metadata: { labels: INGRESS_APP_LABEL },
          spec: {
            containers: [
              {
                name: "controller",
                // Lab pods have no images (they see the host's files); the name says what runs.
                image: "flatnet.dev/ingress-controller",
                command: [
                  o.node ?? process.execPath,
                  o.entry ?? ingressEntryScript(),
                  "--lab-socket",
                  o.labSocket,
                  "--status-port",
                  String(STATUS_PORT),
                ],
                ports: [
                  { name: "http", containerPort: 80, protocol: "TCP" },
                  { name: "https", containerPort: 443, protocol: "TCP" },
                  { name: "status", containerPort: STATUS_PORT, protocol: "TCP" },
                ],
                readinessProbe: { httpGet: { path: "/ready", port: STATUS_PORT }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
  ];
  return objects.map((obj) => applyDefaults(obj));
}
