/**
 * Which ports a built-in container serves: every declared containerPort on its protocol,
 * plus, when the container asks for agnhost's `netexec` through its args (as Kubernetes'
 * own e2e manifests do: `args: [netexec, --http-port=8080, --udp-port=8081]`), the ports
 * netexec would open (defaults 8080/TCP and 8081/UDP, as agnhost's).
 */
import type { V1Container } from "@kubernetes/client-node";

export type ServedProtocol = "TCP" | "UDP";

export interface ServedPort {
  port: number;
  protocol: ServedProtocol;
}

/** Value of `--name=V` or `--name V` in args, if present. */
function flagValue(args: string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
    if (a === `--${name}` || a === `-${name}`) return args[i + 1];
  }
  return undefined;
}

function netexecPorts(args: string[]): ServedPort[] {
  const http = Number(flagValue(args, "http-port") ?? 8080);
  const udp = Number(flagValue(args, "udp-port") ?? 8081);
  const out: ServedPort[] = [];
  if (Number.isInteger(http) && http > 0) out.push({ port: http, protocol: "TCP" });
  if (Number.isInteger(udp) && udp > 0) out.push({ port: udp, protocol: "UDP" });
  return out;
}

/** Ports of a container without a command, deduplicated, in declaration order. */
export function servedPorts(container: V1Container): { ports: ServedPort[]; unsupported: string[] } {
  const ports: ServedPort[] = [];
  const unsupported: string[] = [];
  const add = (p: ServedPort) => {
    if (!ports.some((q) => q.port === p.port && q.protocol === p.protocol)) ports.push(p);
  };
  for (const p of container.ports ?? []) {
    const protocol = (p.protocol ?? "TCP").toUpperCase();
    if (protocol === "TCP" || protocol === "UDP") add({ port: p.containerPort, protocol });
    else unsupported.push(`${p.containerPort}/${protocol}`);
  }
  if (container.args?.[0] === "netexec") netexecPorts(container.args.slice(1)).forEach(add);
  return { ports, unsupported };
}
