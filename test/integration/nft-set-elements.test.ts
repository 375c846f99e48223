/**
 * The nfnetlink element writer on a real kernel, in a scratch namespace: what it loads is what
 * nft lists (every key and data type the proxy uses, more elements than one message holds),
 * a batch replaces set contents at once, and a refused batch changes nothing.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { run } from "../../src/kernel/exec.js";
import { createNetns, deleteNetns } from "../../src/kernel/netns.js";
import { parseLayout, replaceSetsBatch, sendBatch } from "../../src/kernel/nft-set-elements.js";
import { parseMapElements } from "../../src/proxy/nft.js";
import { testId } from "../helpers/cni.js";

const NS = `flatnet-t${testId()}-nfnl`;
const DECL = {
  vips: "type ipv4_addr . inet_proto . inet_service : verdict",
  eps: "typeof ip daddr . tcp dport . numgen random mod 1 : ip daddr . tcp dport",
  np: "typeof udp dport . numgen random mod 1 : ip daddr . udp dport",
  pairs: "type ipv4_addr . ipv4_addr",
};
const nft = (script: string) => run(["nft", "-f", "-"], { netns: NS, input: script });
const list = async (kind: "map" | "set", name: string) =>
  parseMapElements(await run(["nft", "-j", "list", kind, "ip", "z", name], { netns: NS }))
    .map((e) => `${e.key.join(" . ")}${e.value.length ? ` : ${e.value.join(" . ")}` : ""}`)
    .sort();
const sets = (content: Partial<Record<keyof typeof DECL, Array<{ key: string; value?: string }>>>) =>
  Object.entries(content).map(([name, elements]) => ({
    name,
    layout: parseLayout(DECL[name as keyof typeof DECL]),
    elements: elements!,
  }));

describe("nfnetlink set elements on a real kernel", () => {
  before(async () => {
    await createNetns(NS);
    await nft(
      [
        "add table ip z",
        "add chain ip z cluster-ip-2",
        ...Object.entries(DECL).map(
          ([n, body]) => `add ${n === "pairs" ? "set" : "map"} ip z ${n} { ${body}; }`,
        ),
        "add element ip z pairs { 10.0.0.9 . 10.0.0.9 }",
      ].join("\n"),
    );
  });
  after(async () => {
    await deleteNetns(NS);
  });

  it("loads what nft lists back, and replaces each named set's contents", async () => {
    const vips = Array.from({ length: 3000 }, (_, i) => ({
      key: `10.96.${i >> 8}.${i & 255} . ${i % 2 ? "udp" : "tcp"} . ${80 + (i % 3)}`,
      value: i % 5 === 0 ? "drop" : "goto cluster-ip-2",
    }));
    await sendBatch(
      NS,
      replaceSetsBatch(
        "ip",
        "z",
        sets({
          vips,
          eps: [
            { key: "10.96.0.5 . 80 . 0", value: "10.244.1.7 . 8080" },
            { key: "10.96.0.5 . 80 . 1", value: "10.244.2.3 . 65535" },
          ],
          np: [{ key: "30053 . 0", value: "10.244.1.7 . 53" }],
          pairs: [{ key: "10.244.1.7 . 10.244.1.7" }],
        }),
      ),
    );
    const got = await list("map", "vips");
    assert.equal(got.length, 3000);
    assert.deepEqual(got, vips.map((e) => `${e.key} : ${e.value}`).sort());
    assert.deepEqual(await list("map", "eps"), [
      "10.96.0.5 . 80 . 0 : 10.244.1.7 . 8080",
      "10.96.0.5 . 80 . 1 : 10.244.2.3 . 65535",
    ]);
    assert.deepEqual(await list("map", "np"), ["30053 . 0 : 10.244.1.7 . 53"]);
    assert.deepEqual(
      await list("set", "pairs"),
      ["10.244.1.7 . 10.244.1.7"],
      "the old element went with the flush",
    );
  });

  it("a refused batch changes nothing and says what failed", async () => {
    const before = await list("map", "eps");
    await assert.rejects(
      sendBatch(
        NS,
        replaceSetsBatch(
          "ip",
          "z",
          sets({
            eps: [{ key: "10.96.0.9 . 80 . 0", value: "10.244.9.9 . 80" }],
            vips: [{ key: "10.96.0.9 . tcp . 80", value: "goto no-such-chain" }],
          }),
        ),
      ),
      /refused, nothing changed: add elements 1-1 of 1 to vips: ENOENT/,
    );
    assert.deepEqual(await list("map", "eps"), before);
    assert.equal((await list("map", "vips")).length, 3000);
  });

  it("a set that does not exist is refused by name", async () => {
    await assert.rejects(
      sendBatch(
        NS,
        replaceSetsBatch("ip", "z", [{ name: "nope", layout: parseLayout(DECL.pairs), elements: [] }]),
      ),
      /flush nope: ENOENT/,
    );
  });
});
