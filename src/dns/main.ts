#!/usr/bin/env node
/**
 * The cluster DNS process: what runs in each `kube-system/flatnet-dns` add-on pod (behind the
 * kube-dns Service), like CoreDNS in a kubeadm cluster. It mirrors the lab's Services,
 * EndpointSlices, Pods and Namespaces through the lab daemon's watch stream, serves the
 * cluster zone on UDP and TCP port 53 of the pod, forwards other names to the upstreams, and
 * answers readiness on HTTP :8181/ready once the first full sync is in (SERVFAIL before).
 *
 *   node dist/src/dns/main.js --lab-socket /run/flatnet/<lab>/daemon.sock \
 *     [--domain cluster.local] [--upstream 192.0.2.53[:53]]... [--address 0.0.0.0] [--port 53] \
 *     [--ready-port 8181] [--ttl 30] [--cache 20000]
 */
import http from "node:http";
import { parseArgs } from "node:util";
import { DaemonWatchSource } from "./daemon-source.js";
import { Forwarder, parseUpstream } from "./forward.js";
import { QueryHandler } from "./handler.js";
import { canonicalName } from "./names.js";
import { DEFAULT_TTL } from "./records.js";
import { startDnsServer } from "./server.js";
import { ZoneSync } from "./sync.js";
import { Zone } from "./zone.js";

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} flatnet-dns: ${msg}\n`);
}

function fail(msg: string): never {
  log(msg);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      "lab-socket": { type: "string" },
      domain: { type: "string", default: "cluster.local" },
      upstream: { type: "string", multiple: true, default: [] },
      address: { type: "string", default: "0.0.0.0" },
      port: { type: "string", default: "53" },
      "ready-port": { type: "string", default: "8181" },
      ttl: { type: "string", default: String(DEFAULT_TTL) },
      cache: { type: "string", default: "20000" },
    },
  });
  const socket = values["lab-socket"] ?? fail("--lab-socket PATH (the lab daemon's socket) is required");
  const num = (name: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      fail(`--${name} ${text}: expected a whole number ${min}-${max}`);
    return n;
  };
  const port = num("port", values.port, 0, 65535);
  const readyPort = num("ready-port", values["ready-port"], 0, 65535);
  const ttl = num("ttl", values.ttl, 0, 86400);
  const cache = num("cache", values.cache, 0, 10_000_000);
  let upstreams: ReturnType<typeof parseUpstream>[];
  try {
    upstreams = values.upstream.map(parseUpstream);
  } catch (err) {
    fail((err as Error).message);
  }

  const zone = new Zone(canonicalName(values.domain), ttl);
  const source = new DaemonWatchSource(socket, ["Namespace", "Service", "EndpointSlice", "Pod"]);
  source.onLog = log;
  const sync = new ZoneSync(source, zone);
  const handler = new QueryHandler({
    zone,
    ready: () => sync.ready,
    forwarder: new Forwarder({ servers: upstreams }),
    cacheEntries: cache,
  });
  handler.onInternalError = (err) =>
    log(`internal error (a bug; answered SERVFAIL): ${(err as Error).stack ?? err}`);
  // Serve at once (SERVFAIL for cluster names until synced), as the spec asks.
  const server = await startDnsServer({ handler, listen: { address: values.address, port } });
  const health = http.createServer((req, res) => {
    if (req.url === "/ready") {
      res.writeHead(sync.ready ? 200 : 503).end(sync.ready ? "OK\n" : "not synced\n");
    } else if (req.url === "/health") {
      res.writeHead(200).end("OK\n");
    } else if (req.url === "/stats") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        `${JSON.stringify({ ...handler.stats(), names: zone.size, tcpConnections: server.tcpConnections() })}\n`,
      );
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => health.listen(readyPort, values.address, resolve));
  log(
    `serving ${zone.domain} on ${values.address}:${server.port} (udp+tcp), upstreams: ${values.upstream.join(", ") || "none"}`,
  );
  await source.start();
  sync.start();
  log(`synced: ${zone.size} names`);

  const stop = async () => {
    source.close();
    sync.stop();
    health.close();
    await server.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

main().catch((err) => fail(err instanceof Error ? err.message : String(err)));
