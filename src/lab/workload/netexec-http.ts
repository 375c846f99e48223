/**
 * The HTTP side of the built-in workload server, answering like Kubernetes' agnhost netexec
 * so manifests and habits from Kubernetes' own e2e tests carry over:
 *   /hostname      the pod name            /clientip   the peer "ip:port" as the pod sees it
 *   /echo?msg=X    X                       /healthz    200 "ok"
 *   /header?key=K  the value of header K   /headers    all request headers as JSON
 *   /status?code=N an empty answer with status N (e.g. to make a readiness probe fail)
 *   /              the pod name and a line on what else is served
 * Bodies of agnhost's endpoints carry no trailing newline (tests compare them exactly).
 * There is deliberately no /shell: pods share the host's filesystem.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { formatPeer } from "./ns-socket.js";

const HELP = "endpoints: /hostname /clientip /echo?msg= /healthz /header?key= /headers /status?code=";

export type NetexecHttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

function reply(res: ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

export function netexecHttpHandler(podName: string): NetexecHttpHandler {
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://pod.invalid");
    switch (url.pathname) {
      case "/hostname":
        return reply(res, 200, podName);
      case "/clientip":
        return reply(res, 200, formatPeer(req.socket.remoteAddress, req.socket.remotePort));
      case "/echo":
        return reply(res, 200, url.searchParams.get("msg") ?? "");
      case "/healthz":
        return reply(res, 200, "ok");
      case "/header": {
        const key = url.searchParams.get("key");
        if (!key) return reply(res, 400, "missing ?key=<header name>");
        const value = req.headers[key.toLowerCase()];
        return reply(res, 200, Array.isArray(value) ? value.join(", ") : (value ?? ""));
      }
      case "/headers":
        return reply(res, 200, JSON.stringify(req.headers), "application/json");
      case "/status": {
        const code = Number(url.searchParams.get("code"));
        if (!Number.isInteger(code) || code < 100 || code > 599)
          return reply(res, 400, "?code= must be 100-599");
        return reply(res, code, "");
      }
      case "/":
        return reply(res, 200, `${podName}\n${HELP}\n`);
      default:
        return reply(res, 404, `no such endpoint ${url.pathname}; ${HELP}\n`);
    }
  };
}
