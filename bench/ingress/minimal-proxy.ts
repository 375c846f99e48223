#!/usr/bin/env node
/**
 * The benchmark's baseline: the smallest sensible Node.js keep-alive reverse proxy, one
 * upstream, no routing or bookkeeping: http.createServer + http.request over a keep-alive
 * Agent, bodies piped, hop-by-hop headers dropped. What flatnet's ingress proxy must come
 * within 0.9x of.
 *
 *   node dist/bench/ingress/minimal-proxy.js LISTEN_HOST LISTEN_PORT UPSTREAM_HOST UPSTREAM_PORT
 */
import http from "node:http";

const [host = "127.0.0.1", port = "0", upHost = "127.0.0.2", upPort = "80"] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "proxy-connection",
  "te",
  "trailer",
]);

const server = http.createServer((req, res) => {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP.has(k)) headers[k] = v;
  const up = http.request(
    { agent, host: upHost, port: Number(upPort), method: req.method, path: req.url, headers },
    (ures) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(ures.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
      res.writeHead(ures.statusCode ?? 502, out);
      ures.pipe(res);
    },
  );
  up.on("error", () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(up);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), host, () => process.stdout.write("ready\n"));
process.on("SIGTERM", () => process.exit(0));
