/**
 * Which pods answer on a port: a connection the network delivers still fails when nothing
 * listens (TCP reset, ICMP port unreachable), and `flatnet probe` measures answers, so the
 * analyzer predicts them too. A container without a command runs the lab's built-in server
 * on exactly the ports servedPorts() lists (declared containerPorts, agnhost netexec args);
 * a container with a command is taken to listen on its declared containerPorts, which is
 * what the lab waits for before calling it ready.
 */
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { servedPorts } from "../lab/workload/served-ports.js";
import type { Protocol } from "../policy/index.js";

export interface ListenPort {
  port: number;
  protocol: Protocol;
}

function containerPorts(c: V1Container): ListenPort[] {
  if (!c.command) return servedPorts(c).ports;
  return (c.ports ?? []).map((p) => ({
    port: p.containerPort,
    protocol: (p.protocol ?? "TCP").toUpperCase() as Protocol,
  }));
}

/** Every port the pod's containers listen on. */
export function listeningPorts(pod: V1Pod): ListenPort[] {
  return (pod.spec?.containers ?? []).flatMap(containerPorts);
}

export function listensOn(pod: V1Pod, port: number, protocol: Protocol): boolean {
  return listeningPorts(pod).some((p) => p.port === port && p.protocol === protocol);
}

/** Whether the listener is the built-in server (so `trace` can say who answers). */
export function builtinServes(pod: V1Pod, port: number, protocol: Protocol): boolean {
  return (pod.spec?.containers ?? []).some(
    (c) => !c.command && servedPorts(c).ports.some((p) => p.port === port && p.protocol === protocol),
  );
}
