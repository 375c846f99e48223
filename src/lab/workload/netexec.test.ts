/** The netexec protocols (HTTP handler and UDP answers) on loopback, no namespaces needed. */
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { netexecHttpHandler } from "./netexec-http.js";
import { netexecUdpAnswer } from "./netexec-udp.js";

describe("netexec UDP answers", () => {
  it("answers hostname, clientip, echo and rejects the rest", () => {
    assert.equal(netexecUdpAnswer("web-0", "hostname", "10.0.0.9", 4000), "web-0");
    assert.equal(netexecUdpAnswer("web-0", "hostname\n", "10.0.0.9", 4000), "web-0");
    assert.equal(netexecUdpAnswer("web-0", "clientip", "10.0.0.9", 4000), "10.0.0.9:4000");
    assert.equal(netexecUdpAnswer("web-0", "clientip", "::ffff:10.0.0.9", 4000), "10.0.0.9:4000");
    assert.equal(netexecUdpAnswer("web-0", "clientip", "fd00::1", 53), "[fd00::1]:53");
    assert.equal(netexecUdpAnswer("web-0", "echo hi there\r\n", "10.0.0.9", 1), "hi there");
    assert.match(netexecUdpAnswer("web-0", "shell ls", "10.0.0.9", 1), /^unknown command "shell ls"/);
  });
});

describe("netexec HTTP handler", () => {
  let server: http.Server;
  let port = 0;
  before(async () => {
    server = http.createServer(netexecHttpHandler("web-0"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const get = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ host: "127.0.0.1", port, path, headers }, (res) => {
          let body = "";
          res.on("data", (d) => {
            body += d;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        })
        .on("error", reject);
    });

  it("serves agnhost's endpoints without trailing newlines", async () => {
    assert.deepEqual(await get("/hostname"), { status: 200, body: "web-0" });
    assert.deepEqual(await get("/echo?msg=a%20b"), { status: 200, body: "a b" });
    assert.deepEqual(await get("/healthz"), { status: 200, body: "ok" });
    assert.match((await get("/clientip")).body, /^127\.0\.0\.1:\d+$/);
  });

  it("echoes headers and serves any status", async () => {
    assert.equal(
      (await get("/header?key=X-Forwarded-For", { "X-Forwarded-For": "1.2.3.4" })).body,
      "1.2.3.4",
    );
    assert.equal(JSON.parse((await get("/headers", { "X-A": "b" })).body)["x-a"], "b");
    assert.equal((await get("/status?code=503")).status, 503);
    assert.equal((await get("/status?code=abc")).status, 400);
    assert.equal((await get("/header")).status, 400);
  });

  it("answers / with the pod name and 404 with the list of endpoints", async () => {
    assert.match((await get("/")).body, /^web-0\nendpoints: /);
    const missing = await get("/shell?cmd=ls");
    assert.equal(missing.status, 404);
    assert.match(missing.body, /no such endpoint \/shell; endpoints: /);
  });
});
