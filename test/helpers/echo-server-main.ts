#!/usr/bin/env node
/**
 * A test backend for ingress e2e tests, run as a pod's `command`: answers every path with
 * header `X-Pod: $HOSTNAME` (the pod's name) and a JSON body of what it received (method,
 * url, headers), and echoes WebSocket messages (test/helpers/websocket.ts).
 *
 *   node dist/test/helpers/echo-server-main.js [--port 8080]
 */
import http from "node:http";
import { parseArgs } from "node:util";
import { serveWebSocketEcho } from "./websocket.js";

const { values } = parseArgs({ options: { port: { type: "string", default: "8080" } } });
const pod = process.env.HOSTNAME ?? "unknown";
const server = http.createServer((req, res) => {
  let bodyBytes = 0;
  req.on("data", (c: Buffer) => {
    bodyBytes += c.length;
  });
  req.on("end", () => {
    const body = JSON.stringify({ pod, method: req.method, url: req.url, headers: req.headers, bodyBytes });
    res.writeHead(200, {
      "content-type": "application/json",
      "x-pod": pod,
      "content-length": Buffer.byteLength(body),
    });
    res.end(body);
  });
});
serveWebSocketEcho(server, pod);
server.listen(Number(values.port), "0.0.0.0");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
