/**
 * A minimal HTTP/1.0 GET over a stream that is already connected (a socket created inside
 * some namespace). Deliberately not http.request: with its agent machinery a request can
 * quietly open its own connection from this process's namespace, and a probe must never
 * leave the namespace it was meant to start from. HTTP/1.0 makes the server close after the
 * answer, so the body ends with the stream (or at Content-Length).
 */
import { isIPv6 } from "node:net";
import type { Duplex } from "node:stream";
import { NsSocketError } from "./ns-socket.js";

export interface HttpAnswer {
  status: number;
  body: string;
}

const MAX_BYTES = 64 * 1024;

/** The Host header for host:port (IPv6 literals in brackets, port 80 implied). */
export function hostHeader(host: string, port: number): string {
  const h = isIPv6(host) ? `[${host}]` : host;
  return port === 80 ? h : `${h}:${port}`;
}

export interface HttpGetRequest {
  host: string;
  path: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Resolve as soon as the status line is in (readiness needs only the status). */
  statusOnly?: boolean;
}

function parse(buf: Buffer, statusOnly: boolean): HttpAnswer | undefined {
  const text = buf.toString("latin1");
  const lineEnd = text.indexOf("\r\n");
  if (lineEnd < 0) return undefined;
  const status = Number(/^HTTP\/\d(?:\.\d)? (\d{3})/.exec(text.slice(0, lineEnd))?.[1] ?? Number.NaN);
  if (statusOnly) return { status, body: "" };
  const headEnd = text.indexOf("\r\n\r\n");
  if (headEnd < 0) return undefined;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, headEnd))?.[1];
  const body = buf.subarray(headEnd + 4);
  if (length === undefined || body.length < Number(length)) return undefined;
  return { status, body: body.subarray(0, Number(length)).toString("utf8") };
}

export function httpGetOver(stream: Duplex, req: HttpGetRequest): Promise<HttpAnswer> {
  const headers = { Host: req.host, Connection: "close", ...req.headers };
  const head = [`GET ${req.path || "/"} HTTP/1.0`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.destroy();
      fn();
    };
    const timer = setTimeout(
      () => settle(() => reject(new NsSocketError("no-answer", `no HTTP answer within ${req.timeoutMs} ms`))),
      req.timeoutMs,
    );
    stream.on("data", (d: Buffer) => {
      if (buf.length < MAX_BYTES) buf = Buffer.concat([buf, d]);
      const answer = parse(buf, req.statusOnly ?? false);
      if (answer && Number.isNaN(answer.status)) {
        settle(() => reject(new NsSocketError("no-answer", "the answer is not HTTP")));
      } else if (answer) settle(() => resolve(answer));
    });
    stream.on("end", () => {
      const answer = parse(Buffer.concat([buf, Buffer.from("\r\n\r\n")]), true);
      const headEnd = buf.indexOf("\r\n\r\n");
      if (!answer || Number.isNaN(answer.status)) {
        settle(() => reject(new NsSocketError("no-answer", "connection closed without an HTTP answer")));
      } else {
        const body = headEnd >= 0 ? buf.subarray(headEnd + 4).toString("utf8") : "";
        settle(() => resolve({ status: answer.status, body }));
      }
    });
    stream.on("error", (err) => settle(() => reject(err)));
    stream.write(`${head.join("\r\n")}\r\n\r\n`);
  });
}
