/**
 * What a slow or malicious client cannot do to the ingress proxy (127.0.0.1): oversized
 * headers get 431, oversized bodies 413 (declared or chunked), a client trickling its request
 * head is cut after the headers timeout, garbage gets 400, TLS garbage is dropped, and after
 * thousands of random byte strings the proxy still serves.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { after, before, describe, test } from "node:test";
import { ing, rule } from "../../src/ingress/testdata.js";
import { Backends, curl, IngressRig, podOf, service, slice } from "./ingress-fixture.js";

/** Send raw bytes, collect everything until the server closes (or `ms` pass). */
function raw(
  port: number,
  data: Buffer | string,
  ms = 5000,
): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = net.connect(port, "127.0.0.1");
    let text = "";
    const timer = setTimeout(() => s.destroy(), ms);
    s.on("data", (d) => {
      text += d.toString("latin1");
    });
    s.on("error", () => undefined);
    s.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - t0 });
    });
    s.write(data);
  });
}

describe("ingress proxy: limits against slow and malicious clients (127.0.0.1)", { timeout: 120_000 }, () => {
  const backends = new Backends();
  const rig = new IngressRig({ maxBodyBytes: 10_000, upstreamTimeoutMs: 1500 });

  before(async () => {
    await backends.start(2);
    await rig.start({ headersTimeoutMs: 500, requestTimeoutMs: 3000, maxHeaderBytes: 4096 });
    await rig.apply(
      service("web", "front"),
      slice("web", "front", backends.port, ["127.0.0.2"]),
      ing(
        "front",
        { ingressClassName: "flatnet", rules: [rule(undefined, { path: "/", svc: "front" })] },
        { ns: "web" },
      ),
    );
  });

  after(async () => {
    await rig.stop();
    await backends.stop();
  });

  test("headers over the limit: 431", async () => {
    const r = await curl(rig, "http", "a.example", "/", ["-H", `X-Big: ${"a".repeat(8000)}`]);
    assert.equal(r.status, 431);
  });

  test("bodies over the limit: 413, declared or chunked; within it they pass", async () => {
    const big = await curl(rig, "http", "a.example", "/", ["--data-binary", "x".repeat(20_000)]);
    assert.equal(big.status, 413);
    const chunked = await curl(rig, "http", "a.example", "/", [
      "-H",
      "Transfer-Encoding: chunked",
      "--data-binary",
      "y".repeat(50_000),
    ]);
    assert.equal(chunked.status, 413);
    const ok = await curl(rig, "http", "a.example", "/", [
      "-H",
      "Transfer-Encoding: chunked",
      "--data-binary",
      "z".repeat(5000),
    ]);
    assert.equal(podOf(ok), "pod-2");
  });

  test("a client trickling its request head is cut after the headers timeout", async () => {
    const r = await raw(rig.servers.httpPort, "GET / HTTP/1.1\r\nHost: slow.example\r\nX-Slow: 1", 10_000);
    assert.ok(r.closedAfterMs < 3000, `closed after ${r.closedAfterMs} ms`);
    assert.match(r.text, /^HTTP\/1\.1 408|^$/);
  });

  test("a connection that never sends a byte is closed after the headers timeout", async () => {
    const r = await raw(rig.servers.httpPort, "", 10_000);
    assert.ok(r.closedAfterMs < 3000, `closed after ${r.closedAfterMs} ms`);
  });

  test("a client that stops reading a large response is cut once the endpoint's connection stalls", async () => {
    // 64 MB is far more than the socket buffers hold. The client reads nothing for 4 s, then
    // drains what is left: the proxy must have cut it (upstream stalled > 1.5 s), so the
    // connection ends short of the whole body.
    const s = net.connect(rig.servers.httpPort, "127.0.0.1");
    s.pause();
    s.write("GET /big HTTP/1.1\r\nHost: a.example\r\n\r\n");
    await new Promise((r) => setTimeout(r, 4000));
    let bytes = 0;
    const ended = await new Promise<boolean>((resolve) => {
      s.on("data", (d: Buffer) => {
        bytes += d.length;
      });
      s.on("error", () => undefined);
      s.on("close", () => resolve(true));
      s.resume();
      setTimeout(() => resolve(false), 5000);
    });
    s.destroy();
    assert.ok(ended, "the proxy closed the connection");
    assert.ok(bytes < 64 * 1024 * 1024, `${bytes} bytes: the body was cut`);
  });

  test("garbage gets 400 and a close; TLS garbage is dropped; the proxy keeps serving", async () => {
    const bad = await raw(rig.servers.httpPort, "\x00\x01NOT HTTP AT ALL\r\n\r\n");
    assert.match(bad.text, /^HTTP\/1\.1 400/);
    const smuggle = await raw(
      rig.servers.httpPort,
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    );
    assert.match(smuggle.text, /^HTTP\/1\.1 400/);
    const tlsJunk = await raw(rig.servers.httpsPort, randomBytes(512));
    assert.equal(tlsJunk.text.startsWith("HTTP/1.1 200"), false);
    assert.equal(podOf(await curl(rig, "https", "a.example", "/", ["-k"])), "pod-2");
  });

  test("thousands of random requests do not crash it", async () => {
    const methods = ["GET", "POST", "PUT", "\x7f", "", "CONNECT", "OPTIONS"];
    const pieces = [
      "/",
      "*",
      "http://x/",
      "//",
      "/%",
      "/..",
      "?",
      "\r\n",
      ":",
      "Host:",
      "Upgrade: websocket",
      "Connection: upgrade",
      "Content-Length: -1",
      "Transfer-Encoding: gzip",
    ];
    const pick = <T>(a: T[]) => a[Math.floor(Math.random() * a.length)]!;
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, i) => {
          const head =
            i % 3 === 0
              ? randomBytes(1 + Math.floor(Math.random() * 200))
              : `${pick(methods)} ${pick(pieces)}${pick(pieces)} HTTP/1.${i % 2}\r\n${pick(pieces)} ${pick(pieces)}\r\n${pick(pieces)}\r\n\r\n`;
          return raw(i % 5 === 0 ? rig.servers.httpsPort : rig.servers.httpPort, head, 2000);
        }),
      );
    }
    assert.equal(podOf(await curl(rig, "http", "a.example", "/after-fuzz")), "pod-2");
  });
});
