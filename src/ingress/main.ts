#!/usr/bin/env node
/**
 * The ingress controller process: what runs in each `flatnet-ingress` add-on pod (behind the
 * NodePort Service `flatnet-ingress`). It mirrors Ingresses, IngressClasses, Services,
 * EndpointSlices, Secrets and Nodes through the lab daemon's watch stream (as the DNS add-on
 * does), compiles them into the proxy's configuration on every change, and serves HTTP on :80
 * (main thread) and HTTPS on :443 (a worker thread with its own instance: see instance.ts)
 * with a self-signed default certificate generated at start. A status port answers
 * /healthz, /ready (once both instances' first full sync is in) and /status (JSON: Ingresses
 * served, backends and their endpoints, problems such as invalid TLS Secrets, counters). It
 * publishes each of its Ingresses' status.loadBalancer (the nodes' addresses) back through
 * the daemon.
 *
 *   node dist/src/ingress/main.js --lab-socket /run/flatnet/labs/<lab>/daemon.sock \
 *     [--address 0.0.0.0] [--http-port 80] [--https-port 443] [--status-port 10254] \
 *     [--max-body-bytes 16777216]
 */
import http from "node:http";
import { parseArgs } from "node:util";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { callRpc } from "../lab/rpc.js";
import { selfSignedCert } from "./certs.js";
import { type InstanceOptions, startInstance } from "./instance.js";
import { StatusPublisher } from "./status.js";

function logger(prefix: string): (msg: string) => void {
  return (msg) => process.stderr.write(`${new Date().toISOString()} flatnet-ingress${prefix}: ${msg}\n`);
}
const log = logger("");

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

/** The HTTPS worker: its own instance; tells the main thread when synced, answers stats. */
async function httpsWorker(o: Omit<InstanceOptions, "log">): Promise<void> {
  const inst = await startInstance({ ...o, log: logger(" [https]") });
  parentPort?.postMessage({ type: "synced" });
  parentPort?.on("message", (m: { type: string }) => {
    if (m.type === "stats")
      parentPort?.postMessage({ type: "stats", stats: inst.proxy.stats, upstreams: inst.proxy.pool.stats() });
  });
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
  const common = {
    labSocket: socket,
    address: values.address,
    defaultCert: await selfSignedCert("flatnet-ingress-default", ["ingress.flatnet.local"]),
    maxBodyBytes: num("max-body-bytes", values["max-body-bytes"], 0, 2 ** 40),
  };
  const httpsPort = num("https-port", values["https-port"], 0, 65535);
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { ...common, httpPort: null, httpsPort } satisfies Omit<InstanceOptions, "log">,
  });
  let httpsSynced = false;
  let statsWaiter: ((v: unknown) => void) | undefined;
  worker.on("message", (m: { type: string }) => {
    if (m.type === "synced") httpsSynced = true;
    if (m.type === "stats") statsWaiter?.(m);
  });
  // The process is one container: if HTTPS dies, restart it all.
  worker.on("error", (err) => fail(`the HTTPS worker failed: ${err.stack ?? err.message}`));
  worker.on("exit", (code) => fail(`the HTTPS worker exited (${code})`));
  const httpsStats = () =>
    new Promise<unknown>((resolve) => {
      const timer = setTimeout(() => resolve({ error: "the HTTPS worker did not answer" }), 1000);
      statsWaiter = (v) => {
        clearTimeout(timer);
        resolve(v);
      };
      worker.postMessage({ type: "stats" });
    });

  const inst = await startInstance({
    ...common,
    httpPort: num("http-port", values["http-port"], 0, 65535),
    httpsPort: null,
    log,
  });
  const { controller, proxy } = inst;
  const ready = () => controller.synced && httpsSynced;
  const status = http.createServer(async (req, res) => {
    if (req.url === "/healthz") res.writeHead(200).end("OK\n");
    else if (req.url === "/ready") res.writeHead(ready() ? 200 : 503).end(ready() ? "OK\n" : "not synced\n");
    else if (req.url === "/status") {
      const https = await httpsStats();
      res.writeHead(200, { "content-type": "application/json" });
      const body = {
        ...controller.status(),
        http: { stats: proxy.stats, upstreams: proxy.pool.stats() },
        https,
      };
      res.end(`${JSON.stringify(body, null, 2)}\n`);
    } else res.writeHead(404).end();
  });
  const statusPort = num("status-port", values["status-port"], 0, 65535);
  await new Promise<void>((resolve) => status.listen(statusPort, values.address, resolve));
  // status.loadBalancer of flatnet's Ingresses: the nodes' addresses (NodePort on each).
  const publisher = new StatusPublisher(
    inst.source,
    async (items) => {
      await callRpc(socket, "ingressStatus", { items }, 10_000);
    },
    log,
  );
  publisher.start();
  log(
    `serving http :${inst.servers.httpPort}, https :${httpsPort} (worker), status :${statusPort}; synced: ${controller.status().ingresses.length} Ingresses`,
  );

  const stop = async () => {
    publisher.stop();
    status.close();
    worker.removeAllListeners("exit");
    await Promise.all([inst.close(), worker.terminate()]);
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

if (isMainThread) main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
else
  httpsWorker(workerData as Omit<InstanceOptions, "log">).catch((err) =>
    fail(`https: ${err instanceof Error ? err.message : String(err)}`),
  );
