import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UserError } from "../util/errors.js";
import { checkHostGwPeers, hostGw, sharesL2Segment } from "./hostgw.js";
import { threeNodes } from "./testdata.js";

describe("host-gw desired state", () => {
  const [a, b, c] = threeNodes();

  it("routes each peer's podCIDR via its node IP on eth0, with no links or entries of its own", () => {
    const net = hostGw.desired(a, [a, c, b]);
    assert.deepEqual(net.routes, [
      { dst: "10.244.2.0/24", via: "172.18.0.3", dev: "eth0", onlink: false },
      { dst: "10.244.3.0/24", via: "172.18.0.4", dev: "eth0", onlink: false },
    ]);
    assert.deepEqual([net.links, net.addresses, net.neighbours, net.fdb], [[], [], [], []]);
    assert.deepEqual(net.sysctls, [
      { key: "net/ipv4/ip_forward", value: "1" },
      { key: "net/ipv4/conf/all/rp_filter", value: "0" },
      { key: "net/ipv4/conf/eth0/rp_filter", value: "0" },
    ]);
  });
});

describe("host-gw L2 check", () => {
  // Two subnets: 172.18.0.0/16 (a, b) and 172.19.0.0/16 (d), joined by a router.
  const a = { name: "a", nodeIP: "172.18.0.2", podCIDR: "10.244.1.0/24", underlaySubnet: "172.18.0.0/16" };
  const b = { name: "b", nodeIP: "172.18.0.3", podCIDR: "10.244.2.0/24", underlaySubnet: "172.18.0.0/16" };
  const d = { name: "d", nodeIP: "172.19.0.2", podCIDR: "10.244.4.0/24", underlaySubnet: "172.19.0.0/16" };

  it("tells on-segment peers from peers behind a router", () => {
    assert.equal(sharesL2Segment(a, b), true);
    assert.equal(sharesL2Segment(a, d), false);
    assert.equal(sharesL2Segment(d, a), false);
  });

  it("refuses a peer on another subnet, naming both nodes and subnets and suggesting vxlan", () => {
    assert.throws(
      () => hostGw.desired(a, [b, d]),
      (e: unknown) =>
        e instanceof UserError &&
        e.message.includes('node "d" (node IP 172.19.0.2, pods 10.244.4.0/24)') &&
        e.message.includes('node "a" (node IP 172.18.0.2 on 172.18.0.0/16, pods 10.244.1.0/24)') &&
        /--backend vxlan/.test(e.fix ?? ""),
    );
    assert.throws(() => checkHostGwPeers(d, [a]), /host-gw cannot reach node "a"/);
  });

  it("needs the node's underlay subnet and a node IP inside it", () => {
    assert.throws(() => hostGw.desired({ ...a, underlaySubnet: undefined }, [b]), /has no underlaySubnet/);
    assert.throws(
      () => hostGw.desired({ ...a, underlaySubnet: "172.20.0.0/16" }, [b]),
      /node IP 172\.18\.0\.2 outside its own underlaySubnet 172\.20\.0\.0\/16/,
    );
  });
});
