// CIDR math: IPv4 and IPv6 go through the same functions, so each case is checked for both.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UserError } from "../util/errors.js";
import {
  broadcast,
  canonicalIp,
  cidrContains,
  cidrSize,
  cidrsOverlap,
  formatCidr,
  formatIp,
  ipCompare,
  isIp,
  nthAddress,
  parseCidr,
  parseIp,
  parseIpWithPrefix,
  subdivide,
} from "./cidr.js";

const ip = (t: string) => parseIp(t).value;

describe("parseIp / formatIp", () => {
  it("round-trips IPv4", () => {
    for (const t of ["0.0.0.0", "10.244.1.5", "255.255.255.255", "172.18.0.1"]) {
      const p = parseIp(t);
      assert.equal(p.family, 4);
      assert.equal(formatIp(4, p.value), t);
    }
    assert.equal(ip("10.0.0.1"), 0x0a000001n);
  });

  it("rejects malformed IPv4 with the text and the reason", () => {
    for (const [t, why] of [
      ["10.300.0.1", /300 is greater than 255/],
      ["10.0.0", /four dot-separated octets/],
      ["10.01.0.1", /leading zero/],
      ["10.a.0.1", /not a decimal/],
      ["", /four dot-separated octets/],
      [" 10.0.0.1", /not a decimal/],
    ] as const) {
      assert.throws(
        () => parseIp(t),
        (e: unknown) => e instanceof UserError && e.message.includes(`"${t}"`) && why.test(e.message),
      );
    }
  });

  it("parses IPv6 forms and formats them per RFC 5952", () => {
    const cases: Array<[string, string]> = [
      ["::", "::"],
      ["::1", "::1"],
      ["FD00:10:244:0:0:0:0:5", "fd00:10:244::5"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // first of two equal runs
      ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"], // the longer run wins
      ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero group is not compressed
      ["2001:0db8::0001", "2001:db8::1"],
      ["1::", "1::"],
      ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
      ["::ffff:a00:1", "::ffff:10.0.0.1"],
      ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
      ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
    ];
    for (const [input, canonical] of cases) {
      const p = parseIp(input);
      assert.equal(p.family, 6, input);
      assert.equal(formatIp(6, p.value), canonical, input);
      assert.equal(canonicalIp(canonical), canonical);
    }
  });

  it("rejects malformed IPv6", () => {
    for (const t of [
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3",
      "12345::",
      "fe80::1%eth0",
      "1.2.3.4::",
      ":1",
      "1:2:3:4:5:6:7:8::",
    ]) {
      assert.throws(() => parseIp(t), UserError, t);
      assert.equal(isIp(t), false, t);
    }
  });

  it("formatIp refuses values outside the family", () => {
    assert.throws(() => formatIp(4, 1n << 32n), RangeError);
    assert.throws(() => formatIp(6, -1n), RangeError);
  });

  it("orders IPv4 before IPv6, then numerically", () => {
    const list = ["fd00::2", "10.0.0.2", "fd00::1", "10.0.0.10", "9.0.0.0"].map(parseIp);
    list.sort(ipCompare);
    assert.deepEqual(
      list.map((p) => formatIp(p.family, p.value)),
      ["9.0.0.0", "10.0.0.2", "10.0.0.10", "fd00::1", "fd00::2"],
    );
  });
});

describe("parseCidr", () => {
  it("parses both families into network + prefix", () => {
    assert.deepEqual(parseCidr("10.244.0.0/16"), { family: 4, network: ip("10.244.0.0"), prefix: 16 });
    assert.deepEqual(parseCidr("fd00:10:244::/56"), { family: 6, network: ip("fd00:10:244::"), prefix: 56 });
    assert.equal(formatCidr(parseCidr("FD00:10:96:0::/112")), "fd00:10:96::/112");
  });

  it("masks host bits unless strict, and strict names the right network", () => {
    assert.equal(formatCidr(parseCidr("10.244.1.5/24")), "10.244.1.0/24");
    assert.equal(formatCidr(parseCidr("fd00::5/64")), "fd00::/64");
    assert.throws(() => parseCidr("10.244.1.5/24", { strict: true }), /host bits are set.*10\.244\.1\.0\/24/);
    assert.throws(() => parseCidr("fd00::5/64", { strict: true }), /host bits are set.*fd00::\/64/);
    assert.doesNotThrow(() => parseCidr("10.96.0.0/12", { strict: true }));
  });

  it("rejects bad CIDR text, naming it", () => {
    assert.throws(() => parseCidr("10.300.0.0/16"), /invalid CIDR "10\.300\.0\.0\/16": octet 300/);
    assert.throws(() => parseCidr("10.0.0.0"), /missing \/prefix/);
    assert.throws(() => parseCidr("10.0.0.0/33"), /longer than 32 bits/);
    assert.throws(() => parseCidr("fd00::/129"), /longer than 128 bits/);
    assert.throws(() => parseCidr("10.0.0.0/x"), /not a decimal/);
    assert.throws(() => parseCidr("10.0.0.0/-1"), /not a decimal/);
    assert.throws(() => parseCidr("10.0.0.0/08"), /not a decimal/);
  });

  it("keeps the address of an interface address", () => {
    const a = parseIpWithPrefix("10.244.1.5/24");
    assert.equal(a.value, ip("10.244.1.5"));
    assert.equal(formatCidr(a.cidr), "10.244.1.0/24");
    const b = parseIpWithPrefix("fd00:10:244:1::5/64");
    assert.equal(formatIp(6, b.value), "fd00:10:244:1::5");
    assert.equal(formatCidr(b.cidr), "fd00:10:244:1::/64");
    assert.throws(() => parseIpWithPrefix("10.244.1.5"), /invalid address with prefix "10\.244\.1\.5"/);
  });
});

describe("CIDR arithmetic", () => {
  it("sizes and broadcast, including /31 /32 /127 /128", () => {
    assert.equal(cidrSize(parseCidr("10.0.0.0/24")), 256n);
    assert.equal(cidrSize(parseCidr("10.0.0.0/31")), 2n);
    assert.equal(cidrSize(parseCidr("10.0.0.7/32")), 1n);
    assert.equal(cidrSize(parseCidr("::/0")), 1n << 128n);
    assert.equal(cidrSize(parseCidr("fd00::/127")), 2n);
    assert.equal(cidrSize(parseCidr("fd00::1/128")), 1n);
    assert.equal(formatIp(4, broadcast(parseCidr("10.244.1.0/24"))), "10.244.1.255");
    assert.equal(formatIp(4, broadcast(parseCidr("10.0.0.7/32"))), "10.0.0.7");
    assert.equal(formatIp(6, broadcast(parseCidr("fd00::/112"))), "fd00::ffff");
    assert.equal(formatIp(6, broadcast(parseCidr("fd00::/127"))), "fd00::1");
  });

  it("contains and overlap, never across families", () => {
    const c = parseCidr("10.244.0.0/16");
    assert.ok(cidrContains(c, ip("10.244.255.255")));
    assert.ok(!cidrContains(c, ip("10.245.0.0")));
    assert.ok(!cidrContains(c, parseIp("::ffff:10.244.0.1"))); // an IPv6 address, even a mapped one
    assert.ok(cidrContains(parseCidr("fd00::/64"), parseIp("fd00::ffff")));
    assert.ok(cidrsOverlap(c, parseCidr("10.244.3.0/24")));
    assert.ok(cidrsOverlap(parseCidr("10.244.3.0/24"), c));
    assert.ok(!cidrsOverlap(c, parseCidr("10.96.0.0/12")));
    assert.ok(cidrsOverlap(parseCidr("fd00::/56"), parseCidr("fd00:0:0:ff::/64")));
    assert.ok(!cidrsOverlap(parseCidr("0.0.0.0/0"), parseCidr("::/0")));
  });

  it("nthAddress counts from either end and refuses to leave the CIDR", () => {
    const c = parseCidr("10.96.0.0/12");
    assert.equal(formatIp(4, nthAddress(c, 1)), "10.96.0.1");
    assert.equal(formatIp(4, nthAddress(c, 10)), "10.96.0.10");
    assert.equal(formatIp(4, nthAddress(c, -1)), "10.111.255.255");
    assert.equal(formatIp(4, nthAddress(c, -2)), "10.111.255.254");
    const v6 = parseCidr("fd00:10:96::/112");
    assert.equal(formatIp(6, nthAddress(v6, 10n)), "fd00:10:96::a");
    assert.equal(formatIp(6, nthAddress(v6, -1)), "fd00:10:96::ffff");
    assert.throws(() => nthAddress(parseCidr("10.0.0.0/31"), 2), /index 2 is outside 10\.0\.0\.0\/31/);
    assert.throws(() => nthAddress(parseCidr("fd00::1/128"), -2), /outside fd00::1\/128/);
    assert.equal(formatIp(6, nthAddress(parseCidr("fd00::1/128"), -1)), "fd00::1");
  });

  it("subdivides into node-sized blocks", () => {
    const c = parseCidr("10.244.0.0/16");
    assert.equal(formatCidr(subdivide(c, 24, 0)), "10.244.0.0/24");
    assert.equal(formatCidr(subdivide(c, 24, 255)), "10.244.255.0/24");
    assert.throws(() => subdivide(c, 24, 256), /block index 256 is outside/);
    assert.throws(() => subdivide(c, 8, 0), /cannot split 10\.244\.0\.0\/16 into \/8/);
    assert.equal(formatCidr(subdivide(parseCidr("fd00:10:244::/56"), 64, 3)), "fd00:10:244:3::/64");
    assert.equal(formatCidr(subdivide(parseCidr("fd00::/127"), 128, 1)), "fd00::1/128");
  });
});
