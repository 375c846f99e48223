import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeJsonObject, parseBaseConf, parseBridgeConf } from "./config.js";
import { CniError } from "./errors.js";

const base = {
  cniVersion: "1.1.0",
  name: "k8s-pod-network",
  type: "flatnet-cni",
  ipam: { type: "flatnet-ipam", subnet: "10.244.1.0/24" },
};

function failure(f: () => unknown): CniError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof CniError, String(e));
    return e;
  }
  assert.fail("expected a CniError");
}

describe("network config", () => {
  it("applies the bridge plugin's defaults", () => {
    const c = parseBridgeConf({ ...base });
    assert.equal(c.bridge, "cni0");
    assert.equal(c.isGateway, true);
    assert.equal(c.isDefaultGateway, true);
    assert.equal(c.hairpinMode, true);
    assert.equal(c.mtu, undefined);
    assert.equal(c.ipam?.type, "flatnet-ipam");
  });

  it("reads the supported fields", () => {
    const c = parseBridgeConf({
      ...base,
      bridge: "br-pods",
      mtu: 1450,
      hairpinMode: false,
      isDefaultGateway: false,
    });
    assert.equal(c.bridge, "br-pods");
    assert.equal(c.mtu, 1450);
    assert.equal(c.hairpinMode, false);
    assert.equal(c.isDefaultGateway, false);
    assert.equal(c.isGateway, true);
  });

  it("without isGateway there is no default gateway either, unless asked (then it is an error)", () => {
    assert.equal(parseBridgeConf({ ...base, isGateway: false }).isDefaultGateway, false);
    assert.equal(
      failure(() => parseBridgeConf({ ...base, isGateway: false, isDefaultGateway: true })).code,
      7,
    );
  });

  it("gives code 6 for undecodable JSON and code 1 for unsupported versions", () => {
    assert.equal(failure(() => decodeJsonObject("{nope")).code, 6);
    assert.equal(failure(() => decodeJsonObject("[1,2]")).code, 6);
    const e = failure(() => parseBaseConf({ ...base, cniVersion: "0.3.1" }));
    assert.equal(e.code, 1);
    assert.match(e.message, /0\.3\.1/);
  });

  it("gives code 7 naming the field for wrong contents", () => {
    assert.match(failure(() => parseBaseConf({ ...base, name: undefined as never })).message, /"name"/);
    assert.match(failure(() => parseBaseConf({ ...base, name: "a/b" })).message, /network name/);
    assert.match(failure(() => parseBridgeConf({ ...base, mtu: 20 })).message, /"mtu"/);
    assert.match(
      failure(() => parseBridgeConf({ ...base, bridge: "much-too-long-bridge" })).message,
      /"bridge"/,
    );
    assert.match(failure(() => parseBridgeConf({ ...base, ipam: undefined as never })).message, /"ipam"/);
    assert.match(failure(() => parseBridgeConf({ ...base, ipam: { type: "../x" } })).message, /ipam.type/);
    assert.equal(failure(() => parseBridgeConf({ ...base, hairpinMode: "yes" })).code, 7);
  });

  it("refuses ipMasq and friends with code 2 instead of silently ignoring them", () => {
    const e = failure(() => parseBridgeConf({ ...base, ipMasq: true }));
    assert.equal(e.code, 2);
    assert.match(e.message, /ipMasq/);
    assert.equal(parseBridgeConf({ ...base, ipMasq: false }).bridge, "cni0");
    assert.equal(failure(() => parseBridgeConf({ ...base, vlan: 10 })).code, 2);
  });

  it("reads GC's valid attachments", () => {
    const c = parseBaseConf({ ...base, "cni.dev/valid-attachments": [{ containerID: "a", ifname: "eth0" }] });
    assert.deepEqual(c.validAttachments, [{ containerID: "a", ifname: "eth0" }]);
    assert.equal(failure(() => parseBaseConf({ ...base, "cni.dev/valid-attachments": [{ id: 1 }] })).code, 7);
  });
});
