// host-local configuration: defaults as the reference plugin fills them, and validation.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatIp, parseIp } from "../cidr.js";
import {
  formatRange,
  parseRangeSets,
  type RangeSet,
  rangeCapacity,
  rangeFor,
  validateNetworkName,
  validateOwner,
} from "./config.js";

const one = (ranges: RangeSet[]) => parseRangeSets({ network: "pods", ranges });
const only = (subnet: string, extra: object = {}) => one([[{ subnet, ...extra }]])[0]!.ranges[0]!;
const v = (t: string) => parseIp(t).value;

describe("host-local range defaults", () => {
  it("IPv4 /24: gateway .1, range .2-.254, 253 addresses", () => {
    const r = only("10.244.1.0/24");
    assert.equal(formatIp(4, r.gateway), "10.244.1.1");
    assert.equal(formatRange(r), "10.244.1.0/24 (range 10.244.1.2-10.244.1.254)");
    assert.equal(rangeCapacity(r), 253n);
  });

  it("IPv6 /64: no broadcast, the last address is usable", () => {
    const r = only("fd00:10:244:1::/64");
    assert.equal(
      formatRange(r),
      "fd00:10:244:1::/64 (range fd00:10:244:1::2-fd00:10:244:1:ffff:ffff:ffff:ffff)",
    );
    assert.equal(rangeCapacity(r), (1n << 64n) - 2n);
  });

  it("a gateway at the end moves the range start back and the end before it", () => {
    const r = only("10.244.1.0/24", { gateway: "10.244.1.254" });
    assert.equal(formatRange(r), "10.244.1.0/24 (range 10.244.1.1-10.244.1.253)");
    const mid = only("10.244.1.0/24", { gateway: "10.244.1.100" });
    assert.equal(rangeCapacity(mid), 253n, "a gateway inside the range is skipped");
  });

  it("explicit rangeStart/rangeEnd", () => {
    const r = only("10.244.1.0/24", { rangeStart: "10.244.1.100", rangeEnd: "10.244.1.109" });
    assert.equal(rangeCapacity(r), 10n);
    const set = one([
      [{ subnet: "10.244.1.0/24", rangeStart: "10.244.1.100", rangeEnd: "10.244.1.109" }],
    ])[0]!;
    assert.ok(rangeFor(set, 4, v("10.244.1.105")));
    assert.equal(rangeFor(set, 4, v("10.244.1.99")), undefined);
    assert.equal(rangeFor(set, 6, v("10.244.1.105")), undefined);
  });

  it("the smallest subnets: /30 and /126 work, /31 /32 /127 /128 are too small", () => {
    assert.equal(formatRange(only("10.0.0.0/30")), "10.0.0.0/30 (range 10.0.0.2-10.0.0.2)");
    assert.equal(rangeCapacity(only("fd00::/126")), 2n);
    for (const s of ["10.0.0.0/31", "10.0.0.1/32", "fd00::/127", "fd00::1/128"]) {
      assert.throws(
        () => only(s),
        new RegExp(`subnet ${s.replace(/[./]/g, "\\$&")} is too small to allocate from`),
      );
    }
  });
});

describe("host-local range validation", () => {
  const rejects = (ranges: RangeSet[], why: RegExp) => assert.throws(() => one(ranges), why);

  it("names the bad range and value", () => {
    rejects([[{ subnet: "10.244.1.5/24" }]], /invalid CIDR "10\.244\.1\.5\/24": host bits are set/);
    rejects(
      [[{ subnet: "10.244.1.0/24", rangeStart: "10.244.2.1" }]],
      /range set 0 range 0: rangeStart 10\.244\.2\.1 is not inside subnet 10\.244\.1\.0\/24/,
    );
    rejects(
      [[{ subnet: "10.244.1.0/24", rangeEnd: "10.244.1.255" }]],
      /rangeEnd 10\.244\.1\.255 is the network or broadcast address/,
    );
    rejects(
      [[{ subnet: "10.244.1.0/24", rangeStart: "10.244.1.0" }]],
      /rangeStart 10\.244\.1\.0 is the network or broadcast/,
    );
    rejects([[{ subnet: "10.244.1.0/24", gateway: "10.9.9.9" }]], /gateway 10\.9\.9\.9 is not inside subnet/);
    rejects(
      [[{ subnet: "10.244.1.0/24", rangeStart: "10.244.1.50", rangeEnd: "10.244.1.40" }]],
      /rangeStart 10\.244\.1\.50 is after rangeEnd 10\.244\.1\.40/,
    );
    rejects([], /"ranges" is empty/);
    rejects([[]], /range set 0 is not a non-empty list/);
    rejects([[{} as never]], /"subnet" is missing/);
  });

  it("rejects mixed families in a set and overlaps within and across sets", () => {
    rejects(
      [[{ subnet: "10.244.1.0/24" }, { subnet: "fd00::/64" }]],
      /range 1 \(fd00::\/64\) is IPv6 but range 0 is IPv4/,
    );
    rejects(
      [[{ subnet: "10.244.1.0/24" }, { subnet: "10.244.1.0/25" }]],
      /range set 0: range 1 .* overlaps range 0/,
    );
    rejects(
      [[{ subnet: "10.244.0.0/16" }], [{ subnet: "10.244.1.0/24" }]],
      /range set 1 .* overlaps range set 0/,
    );
    const ok = one([
      [
        { subnet: "10.244.1.0/24", rangeEnd: "10.244.1.99" },
        { subnet: "10.244.1.0/24", rangeStart: "10.244.1.100" },
      ],
      [{ subnet: "fd00:10:244:1::/64" }],
    ]);
    assert.deepEqual(
      ok.map((s) => s.family),
      [4, 6],
    );
  });

  it("validates owners and network names", () => {
    assert.throws(() => validateOwner({ containerId: "", ifname: "eth0" }), /containerId "" is empty/);
    assert.throws(() => validateOwner({ containerId: "abc", ifname: "eth0\r\nx" }), /ifname .* spans lines/);
    assert.doesNotThrow(() => validateOwner({ containerId: "abc", ifname: "eth0" }));
    for (const bad of ["", "..", "a/b", ".hidden"])
      assert.throws(() => validateNetworkName(bad), /not usable as a directory/);
    assert.doesNotThrow(() => validateNetworkName("flatnet-pods_v1.0"));
  });
});
