/**
 * Load through configuration changes (127.0.0.1): 48 keep-alive clients (a third over
 * HTTPS) send requests without pause, some held 30 ms by the backend so requests are in
 * flight at every moment, while the test changes everything the proxy depends on every
 * 40 ms: the path's backend Service, the endpoints (one leaves, another joins; the leaving
 * pod still serves, as a terminating pod would), the TLS Secret, unrelated Ingresses. Not a
 * single request may fail, and the keep-alive connections must survive: the listeners are
 * never restarted.
 */
import assert from "node:assert/strict";
import http from "node:http";
import https from "node:https";
import { after, before, describe, test } from "node:test";
import { selfSignedCert } from "../../src/ingress/certs.js";
import { ing, rule } from "../../src/ingress/testdata.js";
import { Backends, type Echo, IngressRig, service, slice, tlsSecret } from "./ingress-fixture.js";

describe("ingress proxy: load through configuration changes (127.0.0.1)", { timeout: 120_000 }, () => {
  const backends = new Backends();
  const rig = new IngressRig();

  const route = (svc: string) =>
    ing(
      "load",
      {
        ingressClassName: "flatnet",
        tls: [{ hosts: ["load.example"], secretName: "load-tls" }],
        rules: [rule("load.example", { path: "/", svc })],
      },
      { ns: "web", created: "2026-01-01T00:00:00Z" },
    );

  before(async () => {
    for (const n of [2, 3, 4, 5]) await backends.start(n);
    await rig.start();
    await rig.apply(
      service("web", "blue"),
      slice("web", "blue", backends.port, ["127.0.0.2", "127.0.0.3"]),
      service("web", "green"),
      slice("web", "green", backends.port, ["127.0.0.4"]),
      tlsSecret("web", "load-tls", await selfSignedCert("load.example", ["load.example"])),
      route("blue"),
    );
  });

  after(async () => {
    await rig.stop();
    await backends.stop();
  });

  test("48 keep-alive clients, changes every 40 ms for 4 s: zero failed requests", async (t) => {
    const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });
    let sockets = 0;
    const failures: string[] = [];
    const pods = new Map<string, number>();
    let ok = 0;
    let stop = false;

    const one = (i: number, n: number) =>
      new Promise<void>((resolve) => {
        const secure = i % 3 === 0;
        const mod = secure ? https : http;
        const req = mod.request(
          {
            host: "127.0.0.1",
            port: secure ? rig.servers.httpsPort : rig.servers.httpPort,
            path: n % 4 === 0 ? "/slow?delay=30" : `/fast/${n}`,
            method: n % 5 === 0 ? "POST" : "GET",
            headers: { host: "load.example" },
            servername: "load.example",
            agent: secure ? httpsAgent : httpAgent,
          },
          (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (d) => {
              body += d;
            });
            res.on("end", () => {
              if (res.statusCode === 200) {
                ok++;
                const pod = (JSON.parse(body) as Echo).pod;
                pods.set(pod, (pods.get(pod) ?? 0) + 1);
              } else failures.push(`${res.statusCode}: ${body.trim()}`);
              resolve();
            });
          },
        );
        req.on("socket", (s) => {
          if (!(s as { counted?: boolean }).counted) {
            (s as { counted?: boolean }).counted = true;
            sockets++;
          }
        });
        req.on("error", (err) => {
          failures.push(err.message);
          resolve();
        });
        req.end(n % 5 === 0 ? "payload" : undefined);
      });

    const clients = Array.from({ length: 48 }, async (_, i) => {
      for (let n = 0; !stop; n++) await one(i, n);
    });

    const secrets = [
      await selfSignedCert("load.example v2", ["load.example"]),
      await selfSignedCert("load.example v3", ["load.example"]),
    ];
    const changes = [
      () => route("green"),
      () => slice("web", "blue", backends.port, ["127.0.0.3", "127.0.0.5"]),
      () => route("blue"),
      () => tlsSecret("web", "load-tls", secrets[0]!),
      () => slice("web", "green", backends.port, ["127.0.0.4", "127.0.0.2"]),
      () =>
        ing(
          "extra",
          { ingressClassName: "flatnet", rules: [rule("other.example", { path: "/", svc: "green" })] },
          { ns: "web" },
        ),
      () => slice("web", "blue", backends.port, ["127.0.0.2", "127.0.0.3"]),
      () => tlsSecret("web", "load-tls", secrets[1]!),
      () => slice("web", "green", backends.port, ["127.0.0.4"]),
    ];
    let applied = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 4000) {
      await new Promise((r) => setTimeout(r, 40));
      await rig.apply(changes[applied % changes.length]!());
      applied++;
    }
    stop = true;
    await Promise.all(clients);
    httpAgent.destroy();
    httpsAgent.destroy();

    t.diagnostic(
      `${ok} requests, ${applied} changes, ${sockets} client connections, ${rig.proxy.stats.retries} retries`,
    );
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} failures`);
    assert.ok(ok > 1000, `only ${ok} requests`);
    assert.ok(applied >= 50, `only ${applied} changes`);
    // Every pod served some: the changes really took effect under load.
    assert.deepEqual([...pods.keys()].sort(), ["pod-2", "pod-3", "pod-4", "pod-5"]);
    // Keep-alive connections lived through all changes: no reconnect per change.
    assert.ok(sockets <= 48 + 4, `${sockets} client connections for ${ok} requests`);
  });
});
