/** The minimal HTTP GET over an existing stream, against raw loopback servers. */
import assert from "node:assert/strict";
import net from "node:net";
import { describe, it } from "node:test";
import { hostHeader, httpGetOver } from "./http-over-socket.js";

/** A loopback server that answers every connection with `answer` (then closes, unless keepOpen). */
async function withServer(answer: string, keepOpen: boolean, fn: (port: number) => Promise<void>) {
  const requests: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.once("data", (d) => {
      requests.push(d.toString());
      if (keepOpen) s.write(answer);
      else s.end(answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    await fn((server.address() as net.AddressInfo).port);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  }
  return requests;
}

const connect = (port: number) =>
  new Promise<net.Socket>((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => resolve(s));
  });

describe("httpGetOver", () => {
  it("writes Host headers with bracketed IPv6 and an implied port 80", () => {
    assert.equal(hostHeader("10.0.0.1", 80), "10.0.0.1");
    assert.equal(hostHeader("10.0.0.1", 8080), "10.0.0.1:8080");
    assert.equal(hostHeader("fd00::1", 8080), "[fd00::1]:8080");
  });

  it("sends an HTTP/1.0 GET with Host and headers and reads a Content-Length body", async () => {
    const requests = await withServer(
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nweb-0",
      true,
      async (port) => {
        const r = await httpGetOver(await connect(port), {
          host: "10.0.0.1",
          path: "/hostname",
          headers: { "X-A": "b" },
          timeoutMs: 1000,
        });
        assert.deepEqual(r, { status: 200, body: "web-0" });
      },
    );
    assert.match(requests[0]!, /^GET \/hostname HTTP\/1\.0\r\nHost: 10\.0\.0\.1\r\n.*X-A: b\r\n\r\n$/s);
  });

  it("reads a body delimited by the close, and the status alone when asked", async () => {
    await withServer("HTTP/1.0 500 Oops\r\n\r\nbroken", false, async (port) => {
      assert.deepEqual(await httpGetOver(await connect(port), { host: "h", path: "/", timeoutMs: 1000 }), {
        status: 500,
        body: "broken",
      });
      const r = await httpGetOver(await connect(port), {
        host: "h",
        path: "/",
        timeoutMs: 1000,
        statusOnly: true,
      });
      assert.equal(r.status, 500);
    });
  });

  it("fails with no-answer on silence or on a non-HTTP answer", async () => {
    await withServer("", true, async (port) => {
      await assert.rejects(httpGetOver(await connect(port), { host: "h", path: "/", timeoutMs: 200 }), {
        failure: "no-answer",
      });
    });
    await withServer("SSH-2.0-x\r\n", true, async (port) => {
      await assert.rejects(
        httpGetOver(await connect(port), { host: "h", path: "/", timeoutMs: 1000, statusOnly: true }),
        {
          failure: "no-answer",
          message: "the answer is not HTTP",
        },
      );
    });
    await withServer("", false, async (port) => {
      await assert.rejects(httpGetOver(await connect(port), { host: "h", path: "/", timeoutMs: 1000 }), {
        failure: "no-answer",
        message: "connection closed without an HTTP answer",
      });
    });
  });
});
