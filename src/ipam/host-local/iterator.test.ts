// host-local's round-robin order: after the last reserved address, wrapping, skipping gateways.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatIp, parseIp } from "../cidr.js";
import { parseRangeSets, type RangeSet } from "./config.js";
import { candidates } from "./iterator.js";

const set = (ranges: RangeSet) => parseRangeSets({ network: "t", ranges: [ranges] })[0]!;
const order = (s: ReturnType<typeof set>, last?: string) =>
  [...candidates(s, last === undefined ? undefined : parseIp(last).value)].map((c) =>
    formatIp(s.family, c.value),
  );

describe("candidates", () => {
  it("starts at the range start and skips the gateway", () => {
    assert.deepEqual(order(set([{ subnet: "10.0.0.0/29" }])), [
      "10.0.0.2",
      "10.0.0.3",
      "10.0.0.4",
      "10.0.0.5",
      "10.0.0.6",
    ]);
    assert.deepEqual(order(set([{ subnet: "10.0.0.0/29", gateway: "10.0.0.4" }])), [
      "10.0.0.1",
      "10.0.0.2",
      "10.0.0.3",
      "10.0.0.5",
      "10.0.0.6",
    ]);
  });

  it("continues after the last reserved address and wraps around to it", () => {
    assert.deepEqual(order(set([{ subnet: "10.0.0.0/29" }]), "10.0.0.4"), [
      "10.0.0.5",
      "10.0.0.6",
      "10.0.0.2",
      "10.0.0.3",
      "10.0.0.4",
    ]);
    assert.deepEqual(order(set([{ subnet: "10.0.0.0/29" }]), "10.0.0.6"), [
      "10.0.0.2",
      "10.0.0.3",
      "10.0.0.4",
      "10.0.0.5",
      "10.0.0.6",
    ]);
    assert.deepEqual(order(set([{ subnet: "10.0.0.0/29" }]), "10.9.9.9"), [
      "10.0.0.2",
      "10.0.0.3",
      "10.0.0.4",
      "10.0.0.5",
      "10.0.0.6",
    ]);
  });

  it("walks the ranges of a set in order", () => {
    const s = set([
      { subnet: "10.0.0.0/29", rangeStart: "10.0.0.5" },
      { subnet: "10.0.1.0/30" },
      { subnet: "10.0.2.0/30", gateway: "10.0.2.2" },
    ]);
    assert.deepEqual(order(s), ["10.0.0.5", "10.0.0.6", "10.0.1.2", "10.0.2.1"]);
    assert.deepEqual(order(s, "10.0.1.2"), ["10.0.2.1", "10.0.0.5", "10.0.0.6", "10.0.1.2"]);
  });

  it("is the same code for IPv6, including the last address", () => {
    assert.deepEqual(order(set([{ subnet: "fd00::/126" }]), "fd00::2"), ["fd00::3", "fd00::2"]);
    const big = candidates(set([{ subnet: "fd00::/64" }]), parseIp("fd00::ffff:ffff:ffff:fffe").value);
    assert.equal(formatIp(6, big.next().value!.value), "fd00::ffff:ffff:ffff:ffff");
    assert.equal(formatIp(6, big.next().value!.value), "fd00::2");
  });
});
