import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientAddress, originForm, requestHeaders, responseHeaders } from "./headers.js";

const info = { clientIp: "172.18.255.254", proto: "https" as const, port: 443 };

describe("header rewriting", () => {
  it("drops hop-by-hop headers and the ones Connection names; keeps Host, case and repeats", () => {
    const out = requestHeaders(
      [
        "Host",
        "shop.example",
        "Connection",
        "keep-alive, X-Private",
        "Keep-Alive",
        "timeout=5",
        "X-Private",
        "secret",
        "TE",
        "trailers",
        "Upgrade",
        "h2c",
        "Accept",
        "a",
        "accept",
        "b",
        "Proxy-Connection",
        "keep-alive",
      ],
      info,
    );
    assert.deepEqual(out.slice(0, 6), ["Host", "shop.example", "Accept", "a", "accept", "b"]);
    assert.equal(out.includes("X-Private"), false);
    assert.equal(out.includes("Connection"), false);
  });

  it("appends the client to X-Forwarded-For and sets -Proto, -Host, -Port, X-Real-IP itself", () => {
    const out = requestHeaders(
      [
        "Host",
        "a.example:8443",
        "X-Forwarded-For",
        "192.0.2.1",
        "x-forwarded-for",
        "192.0.2.2",
        "X-Forwarded-Proto",
        "gopher",
        "X-Real-IP",
        "6.6.6.6",
      ],
      info,
    );
    const get = (n: string) => out.filter((_, i) => i % 2 === 1 && out[i - 1]!.toLowerCase() === n);
    assert.deepEqual(get("x-forwarded-for"), ["192.0.2.1, 192.0.2.2, 172.18.255.254"]);
    assert.deepEqual(get("x-forwarded-proto"), ["https"]);
    assert.deepEqual(get("x-forwarded-host"), ["a.example:8443"]);
    assert.deepEqual(get("x-forwarded-port"), ["443"]);
    assert.deepEqual(get("x-real-ip"), ["172.18.255.254"]);
  });

  it("keeps Connection/Upgrade for an upgrade, and a chunked request body's Transfer-Encoding", () => {
    const out = requestHeaders(
      ["Host", "h", "Connection", "Upgrade", "Upgrade", "websocket", "Transfer-Encoding", "chunked"],
      info,
      true,
    );
    assert.deepEqual(out.slice(0, 8), [
      "Host",
      "h",
      "Connection",
      "Upgrade",
      "Upgrade",
      "websocket",
      "Transfer-Encoding",
      "chunked",
    ]);
  });

  it("responses lose hop-by-hop headers, Transfer-Encoding included (Node re-frames)", () => {
    assert.deepEqual(
      responseHeaders([
        "Content-Type",
        "text/plain",
        "Transfer-Encoding",
        "chunked",
        "Connection",
        "close",
        "Set-Cookie",
        "a",
        "Set-Cookie",
        "b",
      ]),
      ["Content-Type", "text/plain", "Set-Cookie", "a", "Set-Cookie", "b"],
    );
  });

  it("origin form and client addresses", () => {
    assert.equal(originForm("/a?b"), "/a?b");
    assert.equal(originForm("http://h.example:80/x?y"), "/x?y");
    assert.equal(originForm("http://h.example"), "/");
    assert.equal(originForm("http://h.example?q"), "/?q");
    assert.equal(originForm("*"), "*");
    assert.equal(clientAddress("::ffff:10.0.0.1"), "10.0.0.1");
    assert.equal(clientAddress("fd00::1"), "fd00::1");
    assert.equal(clientAddress(undefined), "");
  });
});
