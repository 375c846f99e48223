/**
 * The ingress proxy on 127.0.0.1 with local backends (ingress-fixture.ts), driven by curl:
 * routing by host and path as an Ingress declares it, forwarding headers, load balancing,
 * retry of failed connects, 404/502/503/504, and WebSocket upgrades.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { backend, ing, rule } from "../../src/ingress/testdata.js";
import { openWebSocket } from "../helpers/websocket.js";
import { Backends, curl, type Echo, IngressRig, podOf, service, slice } from "./ingress-fixture.js";

describe("ingress proxy: routing and forwarding (127.0.0.1)", { timeout: 120_000 }, () => {
  const backends = new Backends();
  const rig = new IngressRig({ upstreamTimeoutMs: 700, connectTimeoutMs: 300 });
  let P = 0;

  before(async () => {
    for (const n of [2, 3, 4, 5, 6]) await backends.start(n);
    P = backends.port;
    await backends.startSilent(11);
    await rig.start();
    const cls = { ingressClassName: "flatnet" };
    await rig.apply(
      service("shop", "front"),
      slice("shop", "front", P, ["127.0.0.2"]),
      service("shop", "api"),
      slice("shop", "api", P, ["127.0.0.3", "127.0.0.4"], ["127.0.0.5"]),
      service("shop", "wild"),
      slice("shop", "wild", P, ["127.0.0.5"]),
      service("shop", "exact"),
      slice("shop", "exact", P, ["127.0.0.6"]),
      // Endpoints that refuse (nothing listens on 127.0.0.9/10) next to a live one.
      service("shop", "flaky"),
      slice("shop", "flaky", P, ["127.0.0.9", "127.0.0.10", "127.0.0.2"]),
      // An endpoint that never answers the handshake, next to a live one.
      service("shop", "silent"),
      slice("shop", "silent", P, ["127.0.0.11", "127.0.0.2"]),
      service("shop", "dead"),
      slice("shop", "dead", P, ["127.0.0.9"]),
      service("shop", "empty"),
      slice("shop", "empty", P, [], ["127.0.0.2"]),
      ing(
        "shop",
        {
          ...cls,
          rules: [
            rule(
              "shop.example",
              { path: "/", svc: "front" },
              { path: "/api", svc: "api" },
              { path: "/api/v1/status", type: "Exact", svc: "exact" },
            ),
            rule("*.apps.example", { path: "/", svc: "wild" }),
            rule(
              "errors.example",
              { path: "/flaky", svc: "flaky" },
              { path: "/dead", svc: "dead" },
              { path: "/empty", svc: "empty" },
              { path: "/missing", svc: "nosuch" },
              { path: "/hang", svc: "front" },
              { path: "/silent", svc: "silent" },
            ),
          ],
        },
        { ns: "shop" },
      ),
      // Merged into shop.example from another Ingress; an Ingress of another class is ignored.
      ing(
        "more",
        { ...cls, rules: [rule("shop.example", { path: "/admin", type: "Exact", svc: "exact" })] },
        { ns: "shop" },
      ),
      ing(
        "foreign",
        { ingressClassName: "nginx", rules: [rule("shop.example", { path: "/foreign", svc: "api" })] },
        { ns: "shop" },
      ),
    );
  });

  after(async () => {
    await rig.stop();
    await backends.stop();
  });

  test("hosts and paths route as declared, merged across Ingresses; other classes ignored", async () => {
    const cases: Array<[string, string, string]> = [
      ["shop.example", "/", "pod-2"],
      ["SHOP.example", "/anything?x=/api", "pod-2"],
      ["shop.example", "/api/v1/status", "pod-6"],
      ["shop.example", "/api/v1/status/", "pod-3|pod-4"],
      ["shop.example", "/apis", "pod-2"],
      ["shop.example", "/admin", "pod-6"],
      ["shop.example", "/admin/x", "pod-2"],
      ["shop.example", "/foreign", "pod-2"],
      ["blog.apps.example", "/x", "pod-5"],
      ["apps.example", "/", "404"],
      ["a.blog.apps.example", "/", "404"],
      ["unknown.example", "/", "404"],
    ];
    for (const [host, path, want] of cases) {
      const got = podOf(await curl(rig, "http", host, path));
      assert.match(got, new RegExp(`^(${want})$`), `${host}${path}`);
    }
  });

  test("a 404 names the reason; a default backend takes what no rule matches", async () => {
    const r = await curl(rig, "http", "unknown.example", "/");
    assert.equal(r.status, 404);
    assert.match(r.body, /no Ingress rule matches/);
    await rig.apply(
      ing("fallback", { ingressClassName: "flatnet", defaultBackend: backend("front") }, { ns: "shop" }),
    );
    assert.equal(podOf(await curl(rig, "http", "unknown.example", "/")), "pod-2");
    assert.equal(podOf(await curl(rig, "http", "apps.example", "/")), "pod-2");
    rig.store.delete("Ingress", "shop", "fallback");
    await rig.controller.settled();
    assert.equal((await curl(rig, "http", "unknown.example", "/")).status, 404);
  });

  test("X-Forwarded-For/-Proto/-Host and the original Host reach the endpoint", async () => {
    const r = await curl(rig, "http", "shop.example", "/headers", [
      "-H",
      "X-Forwarded-For: 192.0.2.7",
      "-H",
      "X-Forwarded-Proto: https",
    ]);
    const echo = JSON.parse(r.body) as Echo;
    assert.equal(echo.headers["x-forwarded-for"], "192.0.2.7, 127.0.0.1");
    assert.equal(echo.headers["x-forwarded-proto"], "http");
    assert.equal(echo.headers["x-forwarded-host"], `shop.example:${rig.servers.httpPort}`);
    assert.equal(echo.headers["x-forwarded-port"], String(rig.servers.httpPort));
    assert.equal(echo.headers["x-real-ip"], "127.0.0.1");
    assert.equal(echo.headers.host, `shop.example:${rig.servers.httpPort}`);
    assert.equal(echo.url, "/headers");
    const s = JSON.parse((await curl(rig, "https", "shop.example", "/", ["-k"])).body) as Echo;
    assert.equal(s.headers["x-forwarded-proto"], "https");
  });

  test("requests spread over the ready endpoints only; bodies pass through", async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      const pod = podOf(await curl(rig, "http", "shop.example", "/api/x"));
      seen.set(pod, (seen.get(pod) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), ["pod-3", "pod-4"]);
    assert.equal(seen.get("pod-3"), 10, "round robin");
    const post = JSON.parse(
      (await curl(rig, "http", "shop.example", "/api/upload", ["--data-binary", "x".repeat(100_000)])).body,
    ) as Echo;
    assert.equal(post.method, "POST");
    assert.equal(post.bodyBytes, 100_000);
  });

  test("a refused connect is retried on another endpoint: no failures", async () => {
    const before = rig.proxy.stats.retries;
    for (let i = 0; i < 9; i++)
      assert.equal(podOf(await curl(rig, "http", "errors.example", "/flaky")), "pod-2");
    // Each refusing endpoint costs one retry, then it is passed over for the cooldown.
    const retries = rig.proxy.stats.retries - before;
    assert.ok(retries >= 1 && retries <= 2, `retries: ${retries}`);
  });

  test("a connect that times out is retried on another endpoint after the connect timeout", async () => {
    const before = rig.proxy.stats.retries;
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = Date.now();
      assert.equal(podOf(await curl(rig, "http", "errors.example", "/silent")), "pod-2");
      times.push(Date.now() - t0);
    }
    // One request tried the silent endpoint first and waited the 300 ms; then it is passed
    // over (passive health) for the cooldown.
    assert.equal(rig.proxy.stats.retries - before, 1);
    assert.equal(times.filter((t) => t >= 280).length, 1, times.join(","));
    assert.ok(Math.max(...times) < 3000, times.join(","));
  });

  test("502 when the endpoint fails, 503 with no endpoints or no Service, 504 when it hangs", async () => {
    const dead = await curl(rig, "http", "errors.example", "/dead");
    assert.equal(dead.status, 502);
    assert.match(dead.body, /127\.0\.0\.9/);
    const empty = await curl(rig, "http", "errors.example", "/empty");
    assert.equal(empty.status, 503);
    assert.match(empty.body, /Service shop\/empty has no ready endpoints/);
    const missing = await curl(rig, "http", "errors.example", "/missing");
    assert.equal(missing.status, 503);
    assert.match(missing.body, /Service shop\/nosuch not found/);
    assert.equal((await curl(rig, "http", "errors.example", "/hang")).status, 504);
  });

  test("WebSocket upgrade through the proxy over HTTP and HTTPS", async () => {
    for (const tls of [false, true]) {
      const ws = await openWebSocket({
        host: "127.0.0.1",
        port: tls ? rig.servers.httpsPort : rig.servers.httpPort,
        hostHeader: "shop.example",
        path: "/api/socket",
        tls,
      });
      assert.match(ws.response, /X-Echo-Forwarded-For: 127\.0\.0\.1/);
      const a = await ws.send("hello");
      assert.match(a, /^pod-[34]: hello$/);
      assert.equal(await ws.send("x".repeat(70_000)), `${a.split(":")[0]}: ${"x".repeat(70_000)}`);
      ws.close();
    }
    await assert.rejects(
      openWebSocket({ host: "127.0.0.1", port: rig.servers.httpPort, hostHeader: "none.example", path: "/" }),
      /handshake refused: HTTP\/1.1 404/,
    );
    await assert.rejects(
      openWebSocket({
        host: "127.0.0.1",
        port: rig.servers.httpPort,
        hostHeader: "errors.example",
        path: "/empty",
      }),
      /handshake refused: HTTP\/1.1 503/,
    );
  });
});
