/**
 * The probe engine behind `flatnet probe`: many connectivity checks at once, each from
 * inside its source namespace (client sockets created there by the native addon), with a
 * bounded number in flight and short timeouts, so a matrix where half the pairs are
 * blackholed costs about one timeout, not one per pair.
 *  - TCP: the connect succeeds. With readHostname, also GET /hostname over the connection:
 *    ok then needs an answer (within its own timeout), and answeredBy is the body of a 200 —
 *    which pod really answered, to tell a real server from a blackhole or a wrong endpoint.
 *  - UDP: "hostname" sent on a connected socket (re-sent a few times against loss) and any
 *    reply within the timeout; ICMP port/host unreachable surface as refused/unreachable.
 */
import { performance } from "node:perf_hooks";
import { hostHeader, httpGetOver } from "./http-over-socket.js";
import {
  classifySocketError,
  NsSocketError,
  type SocketFailure,
  tcpConnectFrom,
  udpConnectFrom,
} from "./ns-socket.js";

export type ProbeProtocol = "TCP" | "UDP";

export interface ProbeCheck {
  /** Network namespace the connection starts from (e.g. /run/netns/<pod ns>). */
  fromNetnsPath: string;
  toIp: string;
  port: number;
  protocol: ProbeProtocol;
  /** Connect timeout (TCP) or reply timeout (UDP); default from the options, else 1000. */
  timeoutMs?: number;
  /** TCP only: ask GET /hostname and require an answer. */
  readHostname?: boolean;
}

export interface ProbeResult {
  ok: boolean;
  /** Time the check took, in milliseconds. */
  ms: number;
  error?: SocketFailure;
  /** Human-readable cause when not ok. */
  detail?: string;
  /** Who answered: the HTTP /hostname body or the UDP reply. */
  answeredBy?: string;
}

export interface ProbeOptions {
  /** Checks in flight at once; default 512. */
  concurrency?: number;
  defaultTimeoutMs?: number;
}

async function probeTcp(check: ProbeCheck, timeoutMs: number): Promise<Omit<ProbeResult, "ms">> {
  const sock = await tcpConnectFrom(check.fromNetnsPath, check.toIp, check.port, timeoutMs);
  try {
    if (!check.readHostname) return { ok: true };
    const { status, body } = await httpGetOver(sock, {
      host: hostHeader(check.toIp, check.port),
      path: "/hostname",
      headers: { "User-Agent": "flatnet-probe" },
      timeoutMs,
    });
    return status === 200 ? { ok: true, answeredBy: body } : { ok: true };
  } finally {
    sock.destroy();
  }
}

async function probeUdp(check: ProbeCheck, timeoutMs: number): Promise<Omit<ProbeResult, "ms">> {
  const sock = await udpConnectFrom(check.fromNetnsPath, check.toIp, check.port);
  const resendMs = Math.max(50, Math.floor(timeoutMs / 4));
  return new Promise((resolve, reject) => {
    let resender: NodeJS.Timeout | undefined;
    let finished = false;
    const done = (fn: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearInterval(resender);
      sock.close();
      fn();
    };
    const timer = setTimeout(
      () =>
        done(() =>
          reject(
            new NsSocketError(
              "timeout",
              `no UDP reply from ${check.toIp}:${check.port} within ${timeoutMs} ms`,
            ),
          ),
        ),
      timeoutMs,
    );
    sock.on("message", (msg) => done(() => resolve({ ok: true, answeredBy: msg.toString("utf8") })));
    sock.on("error", (err) =>
      done(() =>
        reject(
          new NsSocketError(classifySocketError(err), `UDP to ${check.toIp}:${check.port}: ${err.message}`),
        ),
      ),
    );
    const send = () => {
      if (!finished) sock.send("hostname", (err) => err && sock.emit("error", err));
    };
    send();
    resender = setInterval(send, resendMs);
  });
}

/** Run one check. Never throws: failures are results. */
export async function probeOne(check: ProbeCheck, defaultTimeoutMs = 1000): Promise<ProbeResult> {
  const timeoutMs = check.timeoutMs ?? defaultTimeoutMs;
  const started = performance.now();
  const ms = () => Math.round((performance.now() - started) * 10) / 10;
  try {
    const r = check.protocol === "UDP" ? await probeUdp(check, timeoutMs) : await probeTcp(check, timeoutMs);
    return { ...r, ms: ms() };
  } catch (err) {
    return { ok: false, ms: ms(), error: classifySocketError(err), detail: (err as Error).message };
  }
}

/** Run all checks with bounded concurrency; results in the order of the checks. */
export async function runProbes(checks: ProbeCheck[], options: ProbeOptions = {}): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array(checks.length);
  let next = 0;
  const worker = async () => {
    while (next < checks.length) {
      const i = next++;
      results[i] = await probeOne(checks[i]!, options.defaultTimeoutMs);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 512, checks.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}
