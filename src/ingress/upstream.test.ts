import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { splitEndpoint, UpstreamPool } from "./upstream.js";

describe("upstream pools", () => {
  it("splits endpoints, IPv6 bracketed", () => {
    assert.deepEqual(splitEndpoint("10.244.1.2:8080"), { host: "10.244.1.2", port: 8080 });
    assert.deepEqual(splitEndpoint("[fd00::5]:80"), { host: "fd00::5", port: 80 });
  });

  it("one pool per endpoint; a retired pool is destroyed only after its last request", () => {
    const pool = new UpstreamPool();
    const a = pool.get("10.0.0.1:80");
    assert.equal(pool.get("10.0.0.1:80"), a);
    pool.acquire(a);
    let destroyed = 0;
    const destroy = a.agent.destroy.bind(a.agent);
    a.agent.destroy = () => {
      destroyed++;
      destroy();
    };
    pool.retain(new Set(["10.0.0.2:80"]));
    assert.equal(a.retired, true);
    assert.equal(destroyed, 0, "not under a request");
    assert.notEqual(pool.get("10.0.0.1:80"), a, "a comeback gets a fresh pool");
    pool.release(a);
    assert.equal(destroyed, 1);
    pool.destroy();
  });

  it("keeps connections alive across requests and reports them", async () => {
    const server = http.createServer((_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const ep = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pool = new UpstreamPool();
    const u = pool.get(ep);
    const get = () =>
      new Promise<number | undefined>((resolve, reject) => {
        const req = http.request({ agent: u.agent, host: u.host, port: u.port }, (res) => {
          res.resume();
          res.on("end", () => resolve(req.socket?.localPort));
        });
        req.on("error", reject);
        req.end();
      });
    const first = await get();
    await new Promise((r) => setImmediate(r));
    assert.equal(await get(), first, "the same socket");
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(pool.stats()[ep], { inflight: 0, sockets: 0, idle: 1 });
    pool.destroy();
    server.close();
  });
});
