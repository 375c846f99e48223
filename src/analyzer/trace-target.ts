/**
 * What `flatnet trace [-n NS] POD TARGET[:PORT][/PROTO]` names: the source pod (`name` in the
 * namespace given by -n, or `namespace/name`), and a target that is a pod or a Service (same
 * forms; a pod wins a name both have) or an IP address (`[v6]:port` for IPv6 with a port; a
 * Service's ClusterIP means the Service), with port 80 and TCP by default.
 */
import { canonicalIp, isIp } from "../ipam/cidr.js";
import type { Protocol } from "../policy/index.js";
import { UserError } from "../util/errors.js";
import type { ClusterSnapshot } from "./snapshot.js";
import type { TraceTarget } from "./trace.js";

export interface ParsedTarget {
  name: string;
  port: number;
  protocol: Protocol;
}

const FORMS =
  "write TARGET as POD, SERVICE, NAMESPACE/NAME or an IP, optionally with :PORT and /TCP|UDP|SCTP";

export function parseTarget(text: string): ParsedTarget {
  let rest = text.trim();
  let protocol: Protocol = "TCP";
  const slash = rest.lastIndexOf("/");
  const proto = slash >= 0 ? rest.slice(slash + 1).toUpperCase() : "";
  if (proto === "TCP" || proto === "UDP" || proto === "SCTP") {
    protocol = proto;
    rest = rest.slice(0, slash);
  }
  let port = 80;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  let portText: string | undefined;
  if (bracket) {
    rest = bracket[1]!;
    portText = bracket[2];
  } else if (!isIp(rest)) {
    const colon = rest.lastIndexOf(":");
    if (colon >= 0) {
      portText = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  if (portText !== undefined) {
    port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      throw new UserError(`trace target "${text}": invalid port "${portText}": must be 1 to 65535`, FORMS);
    }
  }
  if (!rest) throw new UserError(`trace target "${text}" names nothing`, FORMS);
  return { name: rest, port, protocol };
}

/** The index of the pod `ref` names (`name` in `namespace`, or `ns/name`). */
export function resolvePod(snap: ClusterSnapshot, ref: string, namespace: string): number {
  const [ns, name] = ref.includes("/") ? (ref.split("/", 2) as [string, string]) : [namespace, ref];
  const i = snap.model.universe.indexOf(ns, name);
  if (i !== undefined) return i;
  const service = snap.services.find((s) => s.metadata.namespace === ns && s.metadata.name === name);
  if (service) {
    throw new UserError(`${ns}/${name} is a Service, not a pod`, "trace from one of its pods");
  }
  const there = snap.pods.filter((p) => p.key.startsWith(`${ns}/`)).map((p) => p.key.slice(ns.length + 1));
  throw new UserError(
    `pod "${name}" not found in namespace "${ns}"`,
    there.length ? `pods there: ${there.join(", ")}` : `namespace "${ns}" has no pods in these manifests`,
  );
}

export function resolveTarget(snap: ClusterSnapshot, name: string, namespace: string): TraceTarget {
  if (isIp(name)) {
    const ip = canonicalIp(name);
    const vip = snap.services.findIndex((s) => s.spec?.clusterIP && canonicalIp(s.spec.clusterIP) === ip);
    return vip >= 0 ? { service: vip } : { ip: name };
  }
  const [ns, svcName] = name.includes("/") ? (name.split("/", 2) as [string, string]) : [namespace, name];
  const service = snap.services.findIndex(
    (s) => (s.metadata.namespace ?? "default") === ns && s.metadata.name === svcName,
  );
  if (service >= 0 && snap.model.universe.indexOf(ns, svcName) === undefined) return { service };
  return { pod: resolvePod(snap, name, namespace) };
}
