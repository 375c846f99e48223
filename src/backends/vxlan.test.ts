import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UserError } from "../util/errors.js";
import { threeNodes } from "./testdata.js";
import { vtepMACFor } from "./vtep.js";
import { VXLAN_DEVICE, vxlan } from "./vxlan.js";

describe("vxlan desired state", () => {
  const [a, b, c] = threeNodes();

  it("builds Flannel's flannel.1 device: VNI 1, port 8472, node IP, eth0, no learning, MTU - 50", () => {
    const net = vxlan.desired(a, [a, b, c]);
    assert.deepEqual(net.links, [
      {
        kind: "vxlan",
        name: "flannel.1",
        alias: "flatnet:vxlan",
        mtu: 1450,
        mac: vtepMACFor("node-a"),
        vni: 1,
        port: 8472,
        local: "172.18.0.2",
        dev: "eth0",
        learning: false,
      },
    ]);
    assert.deepEqual(net.addresses, [{ dev: "flannel.1", address: "10.244.1.0/32" }]);
  });

  it("gives each peer a route, a permanent neighbour and an FDB entry, and none for itself", () => {
    const net = vxlan.desired(a, [c, a, b]);
    assert.deepEqual(net.routes, [
      { dst: "10.244.2.0/24", via: "10.244.2.0", dev: VXLAN_DEVICE, onlink: true },
      { dst: "10.244.3.0/24", via: "10.244.3.0", dev: VXLAN_DEVICE, onlink: true },
    ]);
    assert.deepEqual(net.neighbours, [
      { dev: VXLAN_DEVICE, ip: "10.244.2.0", lladdr: vtepMACFor("node-b") },
      { dev: VXLAN_DEVICE, ip: "10.244.3.0", lladdr: vtepMACFor("node-c") },
    ]);
    assert.deepEqual(net.fdb, [
      { dev: VXLAN_DEVICE, mac: vtepMACFor("node-b"), dst: "172.18.0.3" },
      { dev: VXLAN_DEVICE, mac: vtepMACFor("node-c"), dst: "172.18.0.4" },
    ]);
  });

  it("turns forwarding on and reverse-path filtering off where paths are asymmetric", () => {
    const net = vxlan.desired(a, [b]);
    assert.deepEqual(net.sysctls, [
      { key: "net/ipv4/ip_forward", value: "1" },
      { key: "net/ipv4/conf/all/rp_filter", value: "0" },
      { key: "net/ipv4/conf/eth0/rp_filter", value: "0" },
      { key: "net/ipv4/conf/flannel.1/rp_filter", value: "0" },
    ]);
  });

  it("uses a peer's published VTEP MAC and a custom underlay MTU and device", () => {
    const net = vxlan.desired(a, [{ ...b, vtepMAC: "02:AB:00:00:00:01" }], {
      underlayMTU: 9000,
      underlayDev: "ens5",
    });
    assert.equal(net.links[0]!.mtu, 8950);
    assert.equal(net.links[0]!.dev, "ens5");
    assert.equal(net.neighbours[0]!.lladdr, "02:ab:00:00:00:01");
    assert.equal(net.fdb[0]!.mac, "02:ab:00:00:00:01");
  });

  it("is the same for the same input whatever the peer order", () => {
    assert.deepEqual(vxlan.desired(a, [b, c]), vxlan.desired(a, [c, b, a]));
  });

  it("refuses overlapping podCIDRs, duplicate node IPs and IPv6, naming the nodes", () => {
    assert.throws(
      () => vxlan.desired(a, [{ ...b, podCIDR: "10.244.0.0/16" }]),
      (e: unknown) =>
        e instanceof UserError && /"node-a".*10\.244\.1\.0\/24.*"node-b".*overlap/.test(e.message),
    );
    assert.throws(
      () => vxlan.desired(a, [{ ...b, nodeIP: "172.18.0.2" }]),
      (e: unknown) => e instanceof UserError && /same node IP 172\.18\.0\.2/.test(e.message),
    );
    assert.throws(
      () => vxlan.desired(a, [{ ...b, podCIDR: "fd00:10:244:2::/64" }]),
      (e: unknown) => e instanceof UserError && /IPv4 only/.test(e.message),
    );
  });

  it("refuses an underlay MTU too small to carry the encapsulation", () => {
    assert.throws(
      () => vxlan.desired(a, [b], { underlayMTU: 100 }),
      /underlay MTU 100 is out of range 118-65535/,
    );
  });
});
