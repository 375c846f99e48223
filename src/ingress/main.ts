#!/usr/bin/env node
/**
 * The ingress controller process: what runs in each `flatnet-ingress` add-on pod (behind the
 * NodePort Service `flatnet-ingress`). It mirrors Ingresses, IngressClasses, Services,
 * EndpointSlices and Secrets through the lab daemon's watch stream (as the DNS add-on does),
 * compiles them into the proxy's configuration on every change, and serves HTTP on :80 and
 * HTTPS on :443 with a self-signed default certificate generated at start. A status port
 * answers /healthz, /ready (once the first full sync is in) and /status (JSON: Ingresses
 * served, backends and their endpoints, problems such as invalid TLS Secrets, counters).
 * It publishes each of its Ingresses' status.loadBalancer (the nodes' addresses) back
 * through the daemon.
 *
 *   node dist/src/ingress/main.js --lab-socket /run/flatnet/labs/<lab>/daemon.sock \
 *     [--address 0.0.0.0] [--http-port 80] [--https-port 443] [--status-port 10254] \
 *     [--max-body-bytes 16777216]
 */
import http from "node:http";
import { parseArgs } from "node:util";
import { DaemonWatchSource } from "../dns/daemon-source.js";
import { callRpc } from "../lab/rpc.js";
import { selfSignedCert } from "./certs.js";
import { IngressController, WATCHED_KINDS } from "./controller.js";
import { IngressProxy } from "./proxy.js";
import { startIngressServers } from "./server.js";
import { StatusPublisher } from "./status.js";

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} flatnet-ingress: ${msg}\n`);
}

function fail(msg: string): never {
  log(msg);
  process.exit(2);
}

function num(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    fail(`--${name} ${text}: expected a whole number ${min}-${max}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "lab-socket": { type: "string" },
      address: { type: "string", default: "0.0.0.0" },
      "http-port": { type: "string", default: "80" },
      "https-port": { type: "string", default: "443" },
      "status-port": { type: "string", default: "10254" },
      "max-body-bytes": { type: "string", default: String(16 * 1024 * 1024) },
    },
  });
  const socket = values["lab-socket"] ?? fail("--lab-socket PATH (the lab daemon's socket) is required");
  const proxy = new IngressProxy({
    maxBodyBytes: num("max-body-bytes", values["max-body-bytes"], 0, 2 ** 40),
  });
  const source = new DaemonWatchSource(socket, [...WATCHED_KINDS, "Node"]);
  source.onLog = log;
  const controller = new IngressController(source, proxy, { log });
  const defaultCert = await selfSignedCert("flatnet-ingress-default", ["ingress.flatnet.local"]);
  const servers = await startIngressServers(proxy, {
    address: values.address,
    httpPort: num("http-port", values["http-port"], 0, 65535),
    httpsPort: num("https-port", values["https-port"], 0, 65535),
    defaultCert,
  });
  const status = http.createServer((req, res) => {
    if (req.url === "/healthz") res.writeHead(200).end("OK\n");
    else if (req.url === "/ready")
      res.writeHead(controller.synced ? 200 : 503).end(controller.synced ? "OK\n" : "not synced\n");
    else if (req.url === "/status") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        `${JSON.stringify({ ...controller.status(), stats: proxy.stats, upstreams: proxy.pool.stats() }, null, 2)}\n`,
      );
    } else res.writeHead(404).end();
  });
  const statusPort = num("status-port", values["status-port"], 0, 65535);
  await new Promise<void>((resolve) => status.listen(statusPort, values.address, resolve));
  log(`serving http :${servers.httpPort}, https :${servers.httpsPort}, status :${statusPort}`);
  await source.start();
  controller.start();
  // status.loadBalancer of flatnet's Ingresses: the nodes' addresses (NodePort on each).
  const publisher = new StatusPublisher(
    source,
    async (items) => {
      await callRpc(socket, "ingressStatus", { items }, 10_000);
    },
    log,
  );
  publisher.start();
  log(`synced: ${controller.status().ingresses.length} Ingresses`);

  const stop = async () => {
    controller.stop();
    publisher.stop();
    source.close();
    status.close();
    await servers.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
