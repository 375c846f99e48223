/**
 * What `flatnet trace [-n NS] POD TARGET[:PORT][/PROTO]` names: the source pod (`name` in the
 * namespace given by -n, or `namespace/name`), and a target that is a pod (same forms) or an
 * IP address (`[v6]:port` for IPv6 with a port), with port 80 and TCP by default.
 */
import { isIp } from "../ipam/cidr.js";
import type { Protocol } from "../policy/index.js";
import { UserError } from "../util/errors.js";
import type { ClusterSnapshot } from "./snapshot.js";
import type { TraceTarget } from "./trace.js";

export interface ParsedTarget {
  name: string;
  port: number;
  protocol: Protocol;
}

const FORMS = "write TARGET as POD, NAMESPACE/POD or an IP, optionally with :PORT and /TCP|UDP|SCTP";

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
    throw new UserError(
      `${ns}/${name} is a Service; tracing through Services is not supported yet`,
      "trace to one of its pods or to a pod IP",
    );
  }
  const there = snap.pods.filter((p) => p.key.startsWith(`${ns}/`)).map((p) => p.key.slice(ns.length + 1));
  throw new UserError(
    `pod "${name}" not found in namespace "${ns}"`,
    there.length ? `pods there: ${there.join(", ")}` : `namespace "${ns}" has no pods in these manifests`,
  );
}

export function resolveTarget(snap: ClusterSnapshot, name: string, namespace: string): TraceTarget {
  if (isIp(name)) return { ip: name };
  return { pod: resolvePod(snap, name, namespace) };
}
