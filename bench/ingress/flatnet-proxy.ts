#!/usr/bin/env node
/**
 * flatnet's ingress proxy for the benchmark, as it runs in the add-on pods but fed from an
 * in-process store instead of the lab daemon: IngressClass flatnet, a Service and an
 * EndpointSlice pointing at the benchmark's upstream, and an Ingress routing
 * `bench.example` `/api` (Prefix) to it next to a few other rules, so the routing is real.
 *
 *   node dist/bench/ingress/flatnet-proxy.js LISTEN_HOST HTTP_PORT HTTPS_PORT UPSTREAM_HOST UPSTREAM_PORT
 */
import { Store } from "../../src/cluster/store.js";
import { selfSignedCert } from "../../src/ingress/certs.js";
import { IngressController } from "../../src/ingress/controller.js";
import { IngressProxy } from "../../src/ingress/proxy.js";
import { startIngressServers } from "../../src/ingress/server.js";
import { ing, rule } from "../../src/ingress/testdata.js";

const [host = "127.0.0.1", httpPort = "0", httpsPort = "0", upHost = "127.0.0.2", upPort = "80"] =
  process.argv.slice(2);
const store = new Store();
store.apply({
  apiVersion: "networking.k8s.io/v1",
  kind: "IngressClass",
  metadata: { name: "flatnet" },
  spec: { controller: "flatnet.dev/ingress" },
});
store.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "bench" } });
for (const svc of ["api", "web"]) {
  store.apply({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: svc, namespace: "bench" },
    spec: { ports: [{ name: "http", port: 80, targetPort: Number(upPort) }] },
  });
  store.apply({
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: `${svc}-1`, namespace: "bench", labels: { "kubernetes.io/service-name": svc } },
    addressType: "IPv4",
    ports: [{ name: "http", port: Number(upPort), protocol: "TCP" }],
    endpoints: [{ addresses: [upHost], conditions: { ready: true } }],
  });
}
store.apply(
  ing(
    "bench",
    {
      ingressClassName: "flatnet",
      rules: [
        rule(
          "bench.example",
          { path: "/", svc: "web" },
          { path: "/api", svc: "api" },
          { path: "/api/v1/status", type: "Exact", svc: "web" },
        ),
        rule("*.apps.example", { path: "/", svc: "web" }),
        rule(undefined, { path: "/static", svc: "web" }),
      ],
    },
    { ns: "bench" },
  ),
);
const proxy = new IngressProxy();
const controller = new IngressController(store, proxy);
controller.start();
const defaultCert = await selfSignedCert("bench.example", ["bench.example"]);
await startIngressServers(proxy, {
  address: host,
  httpPort: Number(httpPort),
  httpsPort: Number(httpsPort),
  defaultCert,
});
process.stdout.write("ready\n");
// A normal exit on SIGTERM, so `node --cpu-prof` writes its profile.
process.on("SIGTERM", () => process.exit(0));
