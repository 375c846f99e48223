/**
 * The lab's workload host: what runs "inside" pods.
 *
 * Design. Pods have no images; a container either has a `command` (a real process entered
 * into the pod's network namespace with the pod name as hostname, supervised with the
 * pod's restartPolicy) or runs flatnet's built-in agnhost-netexec-like server on its ports.
 * The built-in server is not a process per pod: the native addon creates each socket
 * inside the pod's namespace and one Node event loop serves them all, so 1,000 pods cost
 * about 35 MiB and start in about 1.4 s (bench/results/workload.md). The same trick gives
 * client sockets in any namespace, used by readiness probes (from the node namespace, as
 * the kubelet) and by the probe engine behind `flatnet probe`. WorkloadHost runs in-process;
 * WorkloadHostClient offers the same API from a child process (host-main) over IPC.
 *
 *   host.ts            WorkloadHost: addPod/removePod/listPods/probe/shutdown, events
 *   host-client.ts     the same over IPC        host-main.ts   the child process entry
 *   pod.ts             containers + readiness -> phase and Ready
 *   builtin-*.ts       the netexec server       command-container.ts   real processes
 *   readiness.ts       probe timing/thresholds  probe-actions.ts       httpGet/tcpSocket/exec
 *   probe.ts           connectivity checks      ns-socket.ts           sockets in namespaces
 */
export { WorkloadHost, type WorkloadHostApi, type WorkloadHostOptions } from "./host.js";
export { WorkloadHostClient } from "./host-client.js";
export { podExecArgv, podHostname } from "./pod-exec.js";
export { type ProbeCheck, type ProbeOptions, type ProbeResult, probeOne, runProbes } from "./probe.js";
export type * from "./types.js";
