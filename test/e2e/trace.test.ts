/**
 * `flatnet trace` through the CLI from manifests (offline): the JSON contract of DESIGN
 * section 4, a policy verdict naming the rule, the human form, and bad input.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { flatnet, flatnetOk } from "../helpers/cli.js";
import { POLICY_FIXTURES, TOPOLOGY } from "../helpers/policy-cases.js";

const union = join(POLICY_FIXTURES, "cases", "multiple-policies-union.yaml");

interface TraceJson {
  verdict: string;
  hops: Array<{ node: string; stage: string; detail: string; allowedBy?: unknown[]; isolatedBy?: string[] }>;
  reason: string;
}

async function traceJson(args: string[]): Promise<TraceJson> {
  return JSON.parse(
    await flatnetOk(["trace", ...args, "-f", TOPOLOGY, "-f", union, "-o", "json"]),
  ) as TraceJson;
}

describe("flatnet trace", () => {
  test("JSON: verdict, hops {node, stage, detail}, reason; cross-node over VXLAN", async () => {
    const t = await traceJson(["-n", "z", "c", "x/a:80/TCP"]);
    assert.equal(t.verdict, "delivered");
    for (const h of t.hops) assert.deepEqual(Object.keys(h).slice(0, 3), ["node", "stage", "detail"]);
    assert.deepEqual(
      t.hops.map((h) => `${h.node} ${h.stage}`),
      [
        "node-2 source",
        "node-2 egress-policy",
        "node-2 route",
        "node-2 encap",
        "node-1 decap",
        "node-1 ingress-policy",
        "node-1 deliver",
      ],
    );
    const ingress = t.hops.find((h) => h.stage === "ingress-policy")!;
    assert.equal(ingress.detail, "allowed by x/from-zc spec.ingress[0] from[0] (every port)");
    assert.deepEqual(ingress.isolatedBy, ["x/deny-all", "x/from-yb", "x/from-zc"]);
  });

  test("a drop names the policies isolating the pod", async () => {
    const t = await traceJson(["z/b", "x/a:81/udp"]);
    assert.equal(t.verdict, "dropped");
    assert.equal(
      t.reason,
      "x/a's ingress is isolated by policies x/deny-all, x/from-yb, x/from-zc; no rule allows UDP/81 from z/b",
    );
  });

  test("human form: numbered hops and the verdict line", async () => {
    const out = await flatnetOk(["trace", "-n", "x", "b", "c", "-f", TOPOLOGY]);
    const lines = out.trimEnd().split("\n");
    assert.match(
      lines[0]!,
      /^ 1\. node-1 +source +x\/b \(10\.244\.0\.3\) sends TCP\/80 to x\/c \(10\.244\.1\.2\)/,
    );
    assert.equal(lines.at(-1), "DELIVERED: x/c accepts TCP/80");
  });

  test("bad input says what is wrong", async () => {
    const missing = await flatnet(["trace", "-n", "x", "a", "nope", "-f", TOPOLOGY]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /pod "nope" not found in namespace "x" \(pods there: a, b, c\)/);
    const src = await flatnet(["trace", "ghost", "x/a", "-f", TOPOLOGY]);
    assert.match(src.stderr, /pod "ghost" not found in namespace "default"/);
    const args = await flatnet(["trace", "-f", TOPOLOGY]);
    assert.match(args.stderr, /expected POD and TARGET/);
    const help = await flatnetOk(["trace", "--help"]);
    assert.match(help, /^Usage: flatnet trace/);
  });
});
