/**
 * One run of a readiness probe action, as the kubelet does it: httpGet and tcpSocket
 * connect from the node's network namespace to the pod IP (a client socket created in the
 * node namespace), httpGet succeeds on status 200-399; exec runs the command inside the pod
 * (same entry as the container: namespace, hostname, env) and succeeds on exit code 0.
 * Every action is bounded by the probe's timeout; a timed-out exec is killed with its group.
 */
import { spawn } from "node:child_process";
import type net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { V1Container, V1Probe } from "@kubernetes/client-node";
import { hostHeader, httpGetOver } from "./http-over-socket.js";
import { tcpConnectFrom } from "./ns-socket.js";
import { containerEnv, podExecArgv } from "./pod-exec.js";
import { killGroup } from "./process-group.js";
import type { WorkloadPodSpec } from "./types.js";

export interface ActionResult {
  ok: boolean;
  message?: string;
}

/** A probe port: a number, or the name of one of the container's ports. */
export function resolveProbePort(port: number | string, container: V1Container): number {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  if (!named)
    throw new Error(`probe port ${JSON.stringify(port)} is not a named port of container ${container.name}`);
  return named.containerPort;
}

async function httpGet(
  sock: net.Socket,
  probe: NonNullable<V1Probe["httpGet"]>,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<ActionResult> {
  const stream: Duplex =
    (probe.scheme ?? "HTTP").toUpperCase() === "HTTPS"
      ? tls.connect({ socket: sock, rejectUnauthorized: false })
      : sock;
  const headers: Record<string, string> = { "User-Agent": "kube-probe/flatnet", Accept: "*/*" };
  for (const h of probe.httpHeaders ?? []) headers[h.name] = h.value;
  const path = probe.path || "/";
  try {
    const { status } = await httpGetOver(stream, {
      host: hostHeader(host, port),
      path,
      headers,
      timeoutMs,
      statusOnly: true,
    });
    return status >= 200 && status < 400
      ? { ok: true }
      : { ok: false, message: `HTTP probe failed with statuscode: ${status}` };
  } catch (err) {
    return { ok: false, message: `Get ${path}: ${(err as Error).message}` };
  } finally {
    stream.destroy();
  }
}

async function connectAction(
  spec: WorkloadPodSpec,
  probe: V1Probe,
  container: V1Container,
  timeoutMs: number,
): Promise<ActionResult> {
  const action = probe.httpGet ?? probe.tcpSocket!;
  const port = resolveProbePort(action.port, container);
  const host = action.host || spec.podIP;
  const from = spec.nodeNetnsPath ?? spec.netnsPath;
  const started = Date.now();
  let sock: net.Socket;
  try {
    sock = await tcpConnectFrom(from, host, port, timeoutMs);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  if (!probe.httpGet) {
    sock.destroy();
    return { ok: true };
  }
  try {
    return await httpGet(sock, probe.httpGet, host, port, Math.max(1, timeoutMs - (Date.now() - started)));
  } finally {
    sock.destroy();
  }
}

function execAction(spec: WorkloadPodSpec, container: V1Container, command: string[], timeoutMs: number) {
  return new Promise<ActionResult>((resolve) => {
    let argv: string[];
    let env: Record<string, string>;
    try {
      env = containerEnv(spec, container);
      argv = podExecArgv(spec.netnsName, spec.name, command);
    } catch (err) {
      return resolve({ ok: false, message: (err as Error).message });
    }
    const child = spawn(argv[0]!, argv.slice(1), {
      env,
      cwd: container.workingDir || "/",
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (d: Buffer) => {
      if (output.length < 1024) output += d.toString("utf8");
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `exec probe: ${err.message}` });
    });
    let exitCode: number | null = null;
    child.on("exit", (code) => {
      exitCode = code;
      // Whatever the command left running in its group goes with it (and so do the pipes).
      if (child.pid !== undefined) killGroup(child.pid, "SIGKILL");
    });
    child.on("close", () => {
      clearTimeout(timer);
      if (timedOut) resolve({ ok: false, message: `command timed out after ${timeoutMs} ms` });
      else if (exitCode === 0) resolve({ ok: true });
      else resolve({ ok: false, message: `command exited with ${exitCode}: ${output.trim().slice(0, 512)}` });
    });
  });
}

/** Run the probe's action once. */
export async function runProbeAction(
  spec: WorkloadPodSpec,
  container: V1Container,
  probe: V1Probe,
): Promise<ActionResult> {
  const timeoutMs = Math.max(1, probe.timeoutSeconds ?? 1) * 1000;
  try {
    if (probe.httpGet || probe.tcpSocket) return await connectAction(spec, probe, container, timeoutMs);
    if (probe.exec?.command?.length) return await execAction(spec, container, probe.exec.command, timeoutMs);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  if (probe.grpc) return { ok: false, message: "grpc probes are not supported by the lab" };
  return { ok: false, message: "probe has no httpGet, tcpSocket or exec action" };
}
