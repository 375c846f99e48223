import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { threeNodes } from "../backends/testdata.js";
import { vxlan } from "../backends/vxlan.js";
import { describeOps, renderPodNetOps } from "./podnet-render.js";

describe("pod network op rendering", () => {
  it("renders Flannel's commands for a fresh vxlan node, routes in their own batch", () => {
    const [a, b] = threeNodes();
    const net = vxlan.desired(a, [b]);
    const l = net.links[0]!;
    const mac = net.fdb[0]!.mac;
    const scripts = renderPodNetOps([
      { op: "sysctl-set", key: "net/ipv4/ip_forward", value: "1" },
      { op: "link-add", link: l },
      { op: "addr-add", addr: net.addresses[0]! },
      { op: "neigh-replace", neigh: net.neighbours[0]! },
      { op: "fdb-replace", fdb: net.fdb[0]! },
      { op: "route-replace", route: net.routes[0]! },
    ]);
    assert.deepEqual(scripts, {
      sysctl: ["net/ipv4/ip_forward=1"],
      ip: [
        `link add flannel.1 mtu 1450 address ${l.mac} type vxlan id 1 local 172.18.0.2 dev eth0 dstport 8472 nolearning`,
        "link set flannel.1 alias flatnet:vxlan up",
        "address add 10.244.1.0/32 dev flannel.1",
        `neigh replace 10.244.2.0 lladdr ${mac} dev flannel.1 nud permanent`,
      ],
      bridge: [`fdb replace ${mac} dev flannel.1 dst 172.18.0.3 self permanent`],
      routes: ["route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink proto 241"],
    });
  });

  it("renders removals precisely enough to touch only flatnet's entries", () => {
    const ops = [
      {
        op: "route-del" as const,
        route: {
          dst: "10.244.3.0/24",
          via: "172.18.0.4",
          dev: "eth0",
          onlink: false,
          protocol: "241",
          metric: 0,
        },
      },
      { op: "route-del" as const, route: { dst: "10.8.0.0/24", onlink: false, protocol: "241", metric: 5 } },
      {
        op: "neigh-del" as const,
        neigh: { dev: "flannel.1", ip: "10.244.3.0", lladdr: "02:00:00:00:00:03" },
      },
      { op: "fdb-del" as const, fdb: { dev: "flannel.1", mac: "02:00:00:00:00:03", dst: "172.18.0.4" } },
      { op: "link-set" as const, name: "flannel.1", mtu: 1400, up: true as const },
      { op: "link-del" as const, name: "flannel.1" },
    ];
    assert.deepEqual(describeOps(ops), [
      "ip route del 10.244.3.0/24 via 172.18.0.4 dev eth0 proto 241",
      "ip route del 10.8.0.0/24 proto 241 metric 5",
      "ip neigh del 10.244.3.0 dev flannel.1",
      "bridge fdb del 02:00:00:00:00:03 dev flannel.1 dst 172.18.0.4 self",
      "ip link set flannel.1 mtu 1400 up",
      "ip link del flannel.1",
    ]);
  });
});
