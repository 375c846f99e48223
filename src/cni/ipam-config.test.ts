import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBaseConf } from "./config.js";
import { parseEnv } from "./env.js";
import { CniError } from "./errors.js";
import { DEFAULT_IPAM_DATA_DIR, parseFlatnetIpamConf } from "./ipam-config.js";

const inv = (args = "") =>
  parseEnv({
    CNI_COMMAND: "ADD",
    CNI_CONTAINERID: "c1",
    CNI_NETNS: "/run/netns/p",
    CNI_IFNAME: "eth0",
    CNI_PATH: "/x",
    CNI_ARGS: args,
  });
const conf = (ipam: object, extra: object = {}) =>
  parseBaseConf({
    cniVersion: "1.0.0",
    name: "net1",
    type: "flatnet-cni",
    ipam: { type: "flatnet-ipam", ...ipam },
    ...extra,
  });

function message(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof CniError, String(e));
    assert.equal(e.code, 7);
    return e.message;
  }
  assert.fail("accepted");
}

describe("flatnet-ipam config", () => {
  it("reads host-local's ranges shape with defaults", () => {
    const c = parseFlatnetIpamConf(
      conf({
        ranges: [[{ subnet: "10.244.1.0/24", gateway: "10.244.1.1" }], [{ subnet: "fd00:10:244:1::/64" }]],
      }),
      inv(),
    );
    assert.equal(c.dataDir, DEFAULT_IPAM_DATA_DIR);
    assert.equal(c.network, "net1");
    assert.deepEqual(c.ranges, [
      [{ subnet: "10.244.1.0/24", gateway: "10.244.1.1" }],
      [{ subnet: "fd00:10:244:1::/64" }],
    ]);
  });

  it("accepts the single-subnet shorthand and routes", () => {
    const c = parseFlatnetIpamConf(
      conf({
        subnet: "10.9.0.0/16",
        rangeStart: "10.9.1.0",
        dataDir: "/var/lib/x",
        routes: [{ dst: "0.0.0.0/0" }],
      }),
      inv(),
    );
    assert.deepEqual(c.ranges, [[{ subnet: "10.9.0.0/16", rangeStart: "10.9.1.0" }]]);
    assert.deepEqual(c.routes, [{ dst: "0.0.0.0/0" }]);
    assert.equal(c.dataDir, "/var/lib/x");
  });

  it("collects requested IPs from CNI_ARGS, args.cni.ips and runtimeConfig.ips", () => {
    const c = parseFlatnetIpamConf(
      conf(
        { subnet: "10.9.0.0/16" },
        { args: { cni: { ips: ["10.9.0.7"] } }, runtimeConfig: { ips: ["fd00::7/64"] } },
      ),
      inv("IgnoreUnknown=1;IP=10.9.0.5"),
    );
    assert.deepEqual(c.requestedIps, ["10.9.0.5", "10.9.0.7", "fd00::7"]);
  });

  it("names the bad field", () => {
    assert.match(
      message(() => parseFlatnetIpamConf(conf({ subnet: "10.9.0.0/33" }), inv())),
      /ipam\.subnet/,
    );
    assert.match(
      message(() => parseFlatnetIpamConf(conf({ subnet: "10.9.0.1/16" }), inv())),
      /host bits/,
    );
    assert.match(
      message(() =>
        parseFlatnetIpamConf(conf({ ranges: [[{ subnet: "10.9.0.0/16", gateway: "10.8.0.1" }]] }), inv()),
      ),
      /ranges\[0\]\[0\]\.gateway 10\.8\.0\.1 is outside/,
    );
    assert.match(
      message(() =>
        parseFlatnetIpamConf(conf({ ranges: [[{ subnet: "10.9.0.0/16" }, { subnet: "fd00::/64" }]] }), inv()),
      ),
      /mixes IPv4 and IPv6/,
    );
    assert.match(
      message(() => parseFlatnetIpamConf(conf({}), inv())),
      /needs "ranges"/,
    );
    assert.match(
      message(() => parseFlatnetIpamConf(conf({ subnet: "10.9.0.0/31" }), inv())),
      /too small/,
    );
    assert.match(
      message(() => parseFlatnetIpamConf(conf({ subnet: "10.9.0.0/16", dataDir: "rel" }), inv())),
      /absolute/,
    );
    assert.match(
      message(() => parseFlatnetIpamConf(conf({ subnet: "10.9.0.0/16" }), inv("IP=10.9.0.x"))),
      /requested IP/,
    );
  });
});
