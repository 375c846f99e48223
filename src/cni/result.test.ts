import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JsonObject } from "./config.js";
import { CniError } from "./errors.js";
import { formatResult, parseResult } from "./result.js";
import { compareVersions, highestCommon, requireCommandAtVersion } from "./version.js";

type Loose = {
  ips: Array<{ version?: string }>;
  interfaces: Array<{ mtu?: number }>;
  routes: Array<{ mtu?: number }>;
  cniVersion: string;
};

const v1: JsonObject = {
  cniVersion: "1.1.0",
  interfaces: [
    { name: "cni0", mac: "0a:58:0a:f4:01:01" },
    { name: "eth0", mac: "0a:58:0a:f4:01:05", mtu: 1450, sandbox: "/run/netns/p" },
  ],
  ips: [
    { address: "10.244.1.5/24", gateway: "10.244.1.1", interface: 1 },
    { address: "fd00::5/64", interface: 1 },
  ],
  routes: [{ dst: "0.0.0.0/0", gw: "10.244.1.1", mtu: 1400 }],
  dns: { nameservers: ["10.96.0.10"] },
};

describe("CNI results", () => {
  it("round-trips the 1.1.0 shape", () => {
    assert.deepEqual(formatResult(parseResult(v1, 6, "r"), "1.1.0"), v1);
  });

  it("adds the per-IP version for 0.4.0 and drops 1.1.0-only fields before 1.1.0", () => {
    const r = parseResult(v1, 6, "r");
    const old = formatResult(r, "0.4.0") as unknown as Loose;
    assert.equal(old.cniVersion, "0.4.0");
    assert.deepEqual(
      old.ips.map((ip) => ip.version),
      ["4", "6"],
    );
    assert.equal(old.interfaces[1]!.mtu, undefined);
    assert.equal(old.routes[0]!.mtu, undefined);
    const ten = formatResult(r, "1.0.0") as unknown as Loose;
    assert.equal(ten.ips[0]!.version, undefined);
    assert.equal(ten.interfaces[1]!.mtu, undefined);
  });

  it("reads 0.4.0 results (from older IPAM plugins)", () => {
    const r = parseResult(
      { cniVersion: "0.4.0", ips: [{ version: "4", address: "10.1.0.2/16", gateway: "10.1.0.1" }], dns: {} },
      6,
      "host-local result",
    );
    assert.deepEqual(r.ips, [{ address: "10.1.0.2/16", gateway: "10.1.0.1" }]);
    assert.deepEqual(r.interfaces, []);
  });

  it("names what is wrong in a malformed result, with the caller's code", () => {
    const bad = (v: unknown) => {
      try {
        parseResult(v as never, 7, "prevResult");
      } catch (e) {
        assert.ok(e instanceof CniError);
        assert.equal(e.code, 7);
        return e.message;
      }
      assert.fail("accepted");
    };
    assert.match(bad({ ips: [{ address: "10.0.0.300/24" }] }), /prevResult\.ips\[0\]\.address/);
    assert.match(bad({ ips: [{ address: "10.0.0.3/24", interface: 2 }] }), /does not index/);
    assert.match(bad({ routes: [{ gw: "10.0.0.1" }] }), /no "dst"/);
    assert.match(bad("x"), /JSON object/);
  });
});

describe("CNI versions", () => {
  it("orders versions numerically and finds the highest common one", () => {
    assert.ok(compareVersions("0.4.0", "1.0.0") < 0);
    assert.ok(compareVersions("1.10.0", "1.9.0") > 0);
    assert.equal(highestCommon(["0.4.0", "1.0.0", "1.1.0"], ["0.3.1", "0.4.0", "1.0.0"]), "1.0.0");
    assert.equal(highestCommon(["1.1.0"], ["0.1.0"]), undefined);
  });

  it("knows which commands exist at which version", () => {
    assert.doesNotThrow(() => requireCommandAtVersion("CHECK", "0.4.0"));
    assert.doesNotThrow(() => requireCommandAtVersion("GC", "1.1.0"));
    for (const [cmd, v] of [
      ["GC", "1.0.0"],
      ["STATUS", "0.4.0"],
    ]) {
      assert.throws(
        () => requireCommandAtVersion(cmd!, v!),
        (e: unknown) => e instanceof CniError && e.code === 1,
      );
    }
  });
});
