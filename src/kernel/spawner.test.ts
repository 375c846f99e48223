import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Spawner } from "./spawner.js";

describe("netns_spawn helper", () => {
  const spawner = new Spawner();
  after(() => spawner.close());

  it("runs a command with stdin, environment and exit status", async () => {
    const r = await spawner.run({
      argv: ["sh", "-c", 'read line; echo "$line $GREETING"; echo oops >&2; exit 3'],
      env: { GREETING: "world", PATH: process.env.PATH ?? "/usr/bin:/bin" },
      input: "hello\n",
    });
    assert.deepEqual(r, { code: 3, stdout: "hello world\n", stderr: "oops\n" });
  });

  it("answers pipelined requests in order, each with its own output", async () => {
    const outs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => spawner.run({ argv: ["printf", `req-${i}`] })),
    );
    assert.deepEqual(
      outs.map((o) => o.stdout),
      Array.from({ length: 20 }, (_, i) => `req-${i}`),
    );
  });

  it("moves more than a pipe's worth of data both ways", async () => {
    const input = "x".repeat(1 << 20);
    const r = await spawner.run({ argv: ["cat"], input });
    assert.equal(r.code, 0);
    assert.equal(r.stdout.length, input.length);
  });

  it("reports a command that cannot start and a namespace that does not exist", async () => {
    const missing = await spawner.run({ argv: ["/nonexistent/flatnet-cmd"] });
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /cannot exec \/nonexistent\/flatnet-cmd/);
    const noNs = await spawner.run({ argv: ["true"], netnsPath: "/run/netns/flatnet-no-such-ns" });
    assert.equal(noNs.code, 127);
    assert.match(noNs.stderr, /Cannot open network namespace "\/run\/netns\/flatnet-no-such-ns"/);
  });
});
