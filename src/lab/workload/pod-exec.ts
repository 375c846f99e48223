/**
 * How a process enters a pod: `ip netns exec <ns>` (the pod's network namespace, plus the
 * pod's own /etc/resolv.conf and friends from /etc/netns/<ns>/ in a private mount
 * namespace), then `unshare --uts` and `hostname <pod>` so the pod name is the hostname, then
 * exec of the command. Neither step forks, so the spawned PID is the command's PID and its
 * process group is exactly the container. The environment is built as the kubelet builds a
 * container's: HOSTNAME, extra (Service) variables, then the container's env in order with
 * `$(VAR)` references expanded; command and args get the same expansion.
 */
import type { V1Container, V1EnvVar } from "@kubernetes/client-node";
import type { WorkloadPodSpec } from "./types.js";

/** Kubernetes truncates the pod hostname to 63 characters and trims a trailing '-' or '.'. */
export function podHostname(podName: string): string {
  return podName.slice(0, 63).replace(/[-.]+$/, "");
}

/** The argv that runs `command` inside the pod, with the pod's hostname. */
export function podExecArgv(netnsName: string, podName: string, command: string[]): string[] {
  if (command.length === 0) throw new Error("empty command");
  return [
    "ip",
    "netns",
    "exec",
    netnsName,
    "unshare",
    "--uts",
    "--",
    "sh",
    "-c",
    'hostname "$0" && exec "$@"',
    podHostname(podName),
    ...command,
  ];
}

/** Expand `$(VAR)` from env; `$$(VAR)` stays literal as `$(VAR)`; unknown references stay. */
export function expandVars(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === "$$") return "$";
    return name !== undefined && Object.hasOwn(env, name) ? env[name]! : match;
  });
}

function fieldRefValue(spec: WorkloadPodSpec, fieldPath: string): string | undefined {
  switch (fieldPath) {
    case "metadata.name":
      return spec.name;
    case "metadata.namespace":
      return spec.namespace;
    case "metadata.uid":
      return spec.uid;
    case "spec.nodeName":
      return spec.nodeName;
    case "status.podIP":
      return spec.podIP;
    case "status.podIPs":
      return (spec.podIPs ?? [spec.podIP]).join(",");
    default:
      return undefined;
  }
}

function envValue(spec: WorkloadPodSpec, v: V1EnvVar, env: Record<string, string>): string {
  if (v.value !== undefined) return expandVars(v.value, env);
  const fieldPath = v.valueFrom?.fieldRef?.fieldPath;
  if (fieldPath) {
    const value = fieldRefValue(spec, fieldPath);
    if (value !== undefined) return value;
    throw new Error(`env ${v.name}: fieldRef ${fieldPath} is not supported by the lab`);
  }
  if (v.valueFrom)
    throw new Error(`env ${v.name}: only value and valueFrom.fieldRef are supported by the lab`);
  return "";
}

/** The container's environment: host PATH/HOME/LANG (pods see the host's tools), then the pod's. */
export function containerEnv(spec: WorkloadPodSpec, container: V1Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ["PATH", "HOME", "LANG", "PYENV_ROOT"]) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  env.HOSTNAME = podHostname(spec.name);
  Object.assign(env, spec.extraEnv ?? {});
  for (const v of container.env ?? []) env[v.name] = envValue(spec, v, env);
  return env;
}

/** command + args with `$(VAR)` expanded, as the container runs it. */
export function containerCommand(container: V1Container, env: Record<string, string>): string[] {
  return [...(container.command ?? []), ...(container.args ?? [])].map((s) => expandVars(s, env));
}
