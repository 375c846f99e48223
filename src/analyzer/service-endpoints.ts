/**
 * Where a node's service proxy sends a connection to a Service port, from the same pure code
 * the lab runs: the EndpointSlices the controller would make of the Service and the pods of
 * its namespace (src/cluster/controllers/endpointslice-desired.ts), the proxy's view of them
 * (src/proxy/service-view.ts) and its choice for that node (src/proxy/endpoint-choice.ts:
 * ready endpoints, else serving-terminating ones; internalTrafficPolicy Local; reject when
 * there is none, drop when a Local policy has none on this node). The proxy picks one of the
 * chosen endpoints uniformly at random (numgen random mod N), so each has probability 1/N.
 *
 * Pods from manifests have no status: a placed pod with an IP counts as Running and Ready, as
 * the lab would run it (readiness probes assumed to pass). A Service without a ClusterIP in
 * its manifest is viewed with a placeholder address (the lab allocates one on apply). Pure.
 */
import type { Service } from "../api/index.js";
import { desiredEndpointSlices } from "../cluster/controllers/endpointslice-desired.js";
import type { KObject } from "../cluster/types.js";
import { choosePortEndpoints } from "../proxy/endpoint-choice.js";
import { serviceView } from "../proxy/service-view.js";
import type { ClusterSnapshot } from "./snapshot.js";

const PLACEHOLDER_IP = "0.0.0.0";

export interface ServiceEndpoint {
  ip: string;
  port: number;
  /** Pod index in the snapshot, when a pod of the snapshot has that IP. */
  pod?: number;
  node?: string;
  probability: number;
}

export type ServicePortChoice =
  | { kind: "no-port"; ports: string[] }
  | {
      kind: "port";
      /** The Service's ClusterIP, undefined when the manifests give none. */
      clusterIP?: string;
      endpoints: ServiceEndpoint[];
      /** With no endpoint: what the proxy does with new connections. */
      verdict?: "reject" | "drop";
    };

function asRunning(snap: ClusterSnapshot): KObject[] {
  return snap.pods.map((p): KObject => {
    const pod = p.pod as unknown as KObject;
    if (pod.status?.podIP || !p.ips.length) return pod;
    return {
      ...pod,
      spec: { ...pod.spec, nodeName: p.node },
      status: {
        phase: "Running",
        podIP: p.ips[0],
        podIPs: p.ips.map((ip) => ({ ip })),
        conditions: [{ type: "Ready", status: "True" }],
      },
    };
  });
}

/** The endpoints `node`'s proxy DNATs `port`/`protocol` of `service` to. */
export function serviceEndpoints(
  snap: ClusterSnapshot,
  service: Service,
  port: number,
  protocol: string,
  node: string,
): ServicePortChoice {
  const svc = service as unknown as KObject;
  const clusterIP: string | undefined = svc.spec?.clusterIP;
  const viewed = clusterIP ? svc : { ...svc, spec: { ...svc.spec, clusterIP: PLACEHOLDER_IP } };
  const slices = desiredEndpointSlices(viewed, asRunning(snap));
  const info = serviceView(viewed, slices).ports.find((p) => p.port === port && p.protocol === protocol);
  if (!info) {
    const ports = ((svc.spec?.ports ?? []) as Array<{ port: number; protocol?: string }>).map(
      (p) => `${p.port}/${p.protocol ?? "TCP"}`,
    );
    return { kind: "no-port", ports };
  }
  const choice = choosePortEndpoints(info, node).internal;
  const endpoints = choice.endpoints.map((e): ServiceEndpoint => {
    const out: ServiceEndpoint = { ip: e.ip, port: e.port, probability: 1 / choice.endpoints.length };
    const pod = snap.model.universe.podByIp(e.ip);
    if (pod !== undefined) out.pod = pod;
    if (e.nodeName) out.node = e.nodeName;
    return out;
  });
  const out: ServicePortChoice = { kind: "port", endpoints };
  if (clusterIP) out.clusterIP = clusterIP;
  if (choice.verdict) out.verdict = choice.verdict;
  return out;
}
