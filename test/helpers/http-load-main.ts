#!/usr/bin/env node
/**
 * Keep-alive HTTP load for e2e tests, run inside the lab's external namespace: `--clients`
 * loops each sending requests back to back to IP:PORT with a Host header until `--stop-file`
 * exists, then prints JSON {ok, failures: [first few], failed, statuses, pods, connections}.
 * A request fails on any transport error or a status other than 200.
 *
 *   node dist/test/helpers/http-load-main.js --host IP --port P --host-header NAME --path /x \
 *     --clients 16 --stop-file /tmp/stop [--tls]
 */
import { existsSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
    "host-header": { type: "string", default: "" },
    path: { type: "string", default: "/" },
    clients: { type: "string", default: "16" },
    "stop-file": { type: "string" },
    "max-seconds": { type: "string", default: "120" },
    tls: { type: "boolean", default: false },
  },
});
const mod = values.tls ? https : http;
const agent = new mod.Agent({
  keepAlive: true,
  maxSockets: Number(values.clients),
  rejectUnauthorized: false,
});
const statuses: Record<string, number> = {};
const pods: Record<string, number> = {};
const failures: string[] = [];
let ok = 0;
let failed = 0;
let connections = 0;
const deadline = Date.now() + Number(values["max-seconds"]) * 1000;
const done = () =>
  Date.now() > deadline || (values["stop-file"] !== undefined && existsSync(values["stop-file"]));

function one(): Promise<void> {
  return new Promise((resolve) => {
    const req = mod.request(
      {
        host: values.host,
        port: Number(values.port),
        path: values.path,
        agent,
        headers: { host: values["host-header"] },
        servername: values["host-header"],
      },
      (res) => {
        res.resume();
        res.on("end", () => {
          statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
          const pod = String(res.headers["x-pod"] ?? "");
          pods[pod] = (pods[pod] ?? 0) + 1;
          if (res.statusCode === 200) ok++;
          else {
            failed++;
            if (failures.length < 5) failures.push(`status ${res.statusCode}`);
          }
          resolve();
        });
      },
    );
    req.on("socket", (s) => {
      const tagged = s as { counted?: boolean };
      if (!tagged.counted) connections++;
      tagged.counted = true;
    });
    req.on("error", (err) => {
      failed++;
      if (failures.length < 5) failures.push(err.message);
      resolve();
    });
    req.end();
  });
}

await Promise.all(
  Array.from({ length: Number(values.clients) }, async () => {
    while (!done()) await one();
  }),
);
agent.destroy();
process.stdout.write(`${JSON.stringify({ ok, failed, failures, statuses, pods, connections })}\n`);
