/**
 * The probe engine against real targets from inside real namespaces: open ports answer
 * (and say who answered), closed ports are refused, dropped ports time out, rejected and
 * unroutable destinations are unreachable — and the matrix (9 pods x 2 ports x 2
 * protocols = 324 checks, half of them blackholed) finishes in well under 10 s.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { run } from "../../src/kernel/exec.js";
import { WorkloadHost } from "../../src/lab/workload/host.js";
import { type ProbeCheck, runProbes } from "../../src/lab/workload/probe.js";
import { makeTestNode, type TestNode } from "./workload-fixture.js";

const BLOCK_RULES = `table inet flatnet-test {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 8080 drop
    udp dport 8081 drop
    tcp dport 9090 reject with icmpx type admin-prohibited
  }
}
`;

describe("probe engine", () => {
  let t: TestNode;
  let host: WorkloadHost;

  before(async () => {
    t = await makeTestNode(9);
    host = new WorkloadHost();
    for (const [i, pod] of t.pods.entries()) {
      await host.addPod(
        t.podSpec(i, `pod-${i}`, {
          containers: [
            {
              name: "server",
              ports: [
                { containerPort: 80 },
                { containerPort: 8080 },
                { containerPort: 9090 },
                { containerPort: 81, protocol: "UDP" },
                { containerPort: 8081, protocol: "UDP" },
              ],
            },
          ],
        }),
      );
      await run(["nft", "-f", "-"], { netns: pod.name, input: BLOCK_RULES });
    }
    await run(["ip", "route", "add", "unreachable", "10.99.0.0/16"], { netns: t.pods[0]!.name });
  });

  after(async () => {
    await host?.shutdown();
    await t?.cleanup();
  });

  const from = () => t.pods[0]!.path;
  const target = () => t.pods[1]!.ip;

  it("classifies open, refused, dropped, rejected and unroutable targets", async () => {
    const c = (
      port: number,
      protocol: "TCP" | "UDP",
      toIp = target(),
      extra: Partial<ProbeCheck> = {},
    ): ProbeCheck => ({
      fromNetnsPath: from(),
      toIp,
      port,
      protocol,
      timeoutMs: 800,
      ...extra,
    });
    const checks = [
      c(80, "TCP", undefined, { readHostname: true }),
      c(81, "UDP"),
      c(85, "TCP"),
      c(85, "UDP"),
      c(8080, "TCP"),
      c(8081, "UDP"),
      c(9090, "TCP"),
      c(80, "TCP", "10.99.0.1"),
      c(80, "TCP"),
    ];
    const started = Date.now();
    const r = await runProbes(checks);
    const took = Date.now() - started;
    assert.deepEqual(
      r.map((x) => [x.ok, x.error, x.answeredBy]),
      [
        [true, undefined, "pod-1"],
        [true, undefined, "pod-1"],
        [false, "refused", undefined],
        [false, "refused", undefined],
        [false, "timeout", undefined],
        [false, "timeout", undefined],
        [false, "unreachable", undefined],
        [false, "unreachable", undefined],
        [true, undefined, undefined],
      ],
      JSON.stringify(r, null, 1),
    );
    assert.ok(took < 3000, `all at once: ${took} ms`);
    for (const x of r.slice(4, 6)) assert.ok(x.ms >= 790 && x.ms < 1500, `timeouts honoured: ${x.ms}`);
    assert.ok(r[2]!.ms < 200, `refused is fast: ${r[2]!.ms} ms`);
  });

  it("reports a missing source namespace as an error result, not a throw", async () => {
    const [r] = await runProbes([
      { fromNetnsPath: `/run/netns/${t.id}-missing`, toIp: target(), port: 80, protocol: "TCP" },
    ]);
    assert.equal(r!.ok, false);
    assert.equal(r!.error, "error");
    assert.match(r!.detail ?? "", /missing/);
  });

  it("runs the 9 x 9 x 2 ports x 2 protocols matrix, half blackholed, in well under 10 s", async () => {
    const checks: ProbeCheck[] = [];
    for (const src of t.pods)
      for (const dst of t.pods)
        for (const [port, protocol] of [
          [80, "TCP"],
          [8080, "TCP"],
          [81, "UDP"],
          [8081, "UDP"],
        ] as const)
          checks.push({
            fromNetnsPath: src.path,
            toIp: dst.ip,
            port,
            protocol,
            timeoutMs: 1000,
            readHostname: true,
          });
    assert.equal(checks.length, 324);
    const started = Date.now();
    const results = await host.probe(checks);
    const took = Date.now() - started;
    console.log(`probe matrix: ${checks.length} checks, ${took} ms`);
    results.forEach((r, i) => {
      const ch = checks[i]!;
      const open = ch.port === 80 || ch.port === 81;
      assert.equal(
        r.ok,
        open,
        `${ch.fromNetnsPath} -> ${ch.toIp}:${ch.port}/${ch.protocol}: ${JSON.stringify(r)}`,
      );
      if (open) assert.equal(r.answeredBy, `pod-${t.pods.findIndex((p) => p.ip === ch.toIp)}`);
      else assert.equal(r.error, "timeout");
    });
    assert.ok(took < 5000, `324 checks took ${took} ms (goal: well under 10 s)`);
  });
});
