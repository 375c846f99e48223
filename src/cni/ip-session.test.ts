import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BatchError, ownNs } from "./ip-batch.js";
import { IpSession } from "./ip-session.js";

// Read-only requests in the test's own netns: no privileges needed, nothing changed.
describe("persistent ip session", () => {
  it("answers several requests from one process, in order", async () => {
    const s = new IpSession(ownNs);
    try {
      const [a, b] = await Promise.all([
        s.batch(["link show dev lo", "addr show dev lo"]),
        s.batch(["link show dev lo"]),
      ]);
      assert.equal(a.length, 2);
      assert.equal((a[0] as Array<{ ifname: string }>)[0]!.ifname, "lo");
      assert.equal(b.length, 1);
    } finally {
      s.close();
    }
  });

  it("reports the failing line of a request and recovers with a new process", async () => {
    const s = new IpSession(ownNs);
    try {
      await s.batch(["link show dev lo"]);
      await assert.rejects(
        s.batch(["link show dev lo", "link show dev flatnet-nonexistent0"]),
        (e: unknown) =>
          e instanceof BatchError &&
          e.line === 2 &&
          /does not exist/.test(e.kernelSays) &&
          /flatnet-nonexistent0/.test(e.lineText),
      );
      const [again] = await s.batch(["link show dev lo"]);
      assert.equal((again as Array<{ ifname: string }>)[0]!.ifname, "lo");
    } finally {
      s.close();
    }
  });
});
