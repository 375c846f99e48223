import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { driftOf, type Expected, type KernelState } from "./check.js";

const expected: Expected = {
  ifname: "eth0",
  mac: "0a:58:0a:f4:01:05",
  mtu: 1450,
  addresses: ["10.244.1.5/24", "fd00::5/64"],
  routes: [
    { dst: "0.0.0.0/0", gw: "10.244.1.1" },
    { dst: "::/0", gw: "fd00::1" },
    { dst: "10.96.0.0/12", gw: "10.244.1.1" },
  ],
  hostVeth: "fnet0123456789a",
  bridge: "cni0",
  hairpin: true,
};

function healthy(): KernelState {
  return {
    pod: {
      ifname: "eth0",
      mtu: 1450,
      address: "0a:58:0a:f4:01:05",
      linkinfo: { info_kind: "veth" },
      addr_info: [
        { family: "inet", local: "10.244.1.5", prefixlen: 24 },
        { family: "inet6", local: "fd00:0::5", prefixlen: 64 },
        { family: "inet6", local: "fe80::858:aff:fef4:105", prefixlen: 64 },
      ],
    },
    podRoutes: [
      { dst: "default", gateway: "10.244.1.1", table: "main" },
      { dst: "10.244.1.0/24", table: "main" },
      { dst: "10.96.0.0/12", gateway: "10.244.1.1", table: "main" },
      { dst: "default", gateway: "fd00::1", table: "main", pref: "medium" },
      { dst: "10.244.1.5", table: "local" },
    ],
    hostVeth: {
      ifname: "fnet0123456789a",
      master: "cni0",
      linkinfo: { info_kind: "veth", info_slave_kind: "bridge", info_slave_data: { hairpin: true } },
    },
  };
}

describe("CHECK drift", () => {
  it("finds nothing wrong with what ADD made", () => {
    assert.deepEqual(driftOf(expected, healthy()), []);
  });

  it("names a missing address, route, veth and changed settings", () => {
    const o = healthy();
    o.pod!.addr_info = o.pod!.addr_info!.filter((a) => a.family !== "inet");
    o.podRoutes = o.podRoutes.filter((r) => r.dst !== "10.96.0.0/12");
    o.pod!.mtu = 1500;
    o.hostVeth!.linkinfo!.info_slave_data!.hairpin = false;
    assert.deepEqual(driftOf(expected, o), [
      "eth0 has MTU 1500, expected 1450",
      "address 10.244.1.5/24 is missing from eth0",
      "route 10.96.0.0/12 via 10.244.1.1 is missing in the container",
      "hairpin mode is off on fnet0123456789a, expected on",
    ]);
  });

  it("reports missing devices", () => {
    const gone = driftOf(expected, { podRoutes: [] });
    assert.deepEqual(gone, [
      "interface eth0 is missing from the container",
      "host-side veth fnet0123456789a is missing",
    ]);
    const o = healthy();
    delete o.hostVeth!.master;
    o.pod!.linkinfo = { info_kind: "macvlan" };
    assert.deepEqual(driftOf(expected, o), [
      "eth0 is a macvlan device, not a veth",
      "host-side veth fnet0123456789a is on no bridge, expected cni0",
    ]);
  });
});
