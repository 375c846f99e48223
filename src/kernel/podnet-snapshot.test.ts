import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  parseAddresses,
  parseFdb,
  parseLinks,
  parseNeighbours,
  parseRoutes,
  parseSysctls,
  splitJsonLines,
} from "./podnet-snapshot.js";

// Captured from iproute2 6.1 (`ip -j -d -N`, `bridge -j`) on a node with flannel.1.
const LINKS = [
  { ifindex: 1, ifname: "lo", flags: ["LOOPBACK", "UP"], mtu: 65536, address: "00:00:00:00:00:00" },
  {
    ifindex: 4,
    ifname: "flannel.1",
    flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
    mtu: 1450,
    address: "02:11:22:33:44:55",
    ifalias: "flatnet:vxlan",
    linkinfo: {
      info_kind: "vxlan",
      info_data: { id: 1, local: "172.18.0.2", link: "eth0", port: 8472, learning: false, ttl: 0 },
    },
  },
  {
    ifindex: 2,
    ifname: "eth0",
    flags: ["BROADCAST"],
    mtu: 1500,
    address: "aa:bb:cc:00:00:01",
    linkinfo: { info_kind: "veth" },
  },
];

describe("kernel snapshot parsing", () => {
  it("reads links with their VXLAN attributes, alias and state", () => {
    assert.deepEqual(parseLinks(LINKS), [
      { name: "lo", kind: undefined, alias: undefined, up: true, mtu: 65536, mac: "00:00:00:00:00:00" },
      {
        name: "flannel.1",
        kind: "vxlan",
        alias: "flatnet:vxlan",
        up: true,
        mtu: 1450,
        mac: "02:11:22:33:44:55",
        vxlan: { vni: 1, port: 8472, local: "172.18.0.2", dev: "eth0", learning: false },
      },
      { name: "eth0", kind: "veth", alias: undefined, up: false, mtu: 1500, mac: "aa:bb:cc:00:00:01" },
    ]);
  });

  it("reads IPv4 addresses only", () => {
    const json = [
      {
        ifname: "flannel.1",
        addr_info: [
          { family: "inet", local: "10.244.1.0", prefixlen: 32 },
          { family: "inet6", local: "fe80::11:22ff:fe33:4455", prefixlen: 64 },
        ],
      },
    ];
    assert.deepEqual(parseAddresses(json), [{ dev: "flannel.1", address: "10.244.1.0/32" }]);
  });

  it("reads routes with protocol numbers, onlink and metric; no protocol means boot", () => {
    const json = [
      {
        type: "1",
        dst: "10.244.2.0/24",
        gateway: "10.244.2.0",
        dev: "flannel.1",
        protocol: "241",
        flags: ["onlink"],
      },
      {
        dst: "10.8.0.0/24",
        gateway: "172.18.0.9",
        dev: "eth0",
        protocol: "241",
        metric: 5,
        flags: ["linkdown"],
      },
      { dst: "10.9.0.0/24", gateway: "172.18.0.9", dev: "eth0", flags: [] },
      { dst: "172.18.0.0/16", dev: "eth0", protocol: "2", scope: "253", prefsrc: "172.18.0.2", flags: [] },
    ];
    assert.deepEqual(parseRoutes(json), [
      { dst: "10.244.2.0/24", via: "10.244.2.0", dev: "flannel.1", onlink: true, protocol: "241", metric: 0 },
      { dst: "10.8.0.0/24", via: "172.18.0.9", dev: "eth0", onlink: false, protocol: "241", metric: 5 },
      { dst: "10.9.0.0/24", via: "172.18.0.9", dev: "eth0", onlink: false, protocol: "3", metric: 0 },
      { dst: "172.18.0.0/16", via: undefined, dev: "eth0", onlink: false, protocol: "2", metric: 0 },
    ]);
  });

  it("reads permanent IPv4 neighbours and FDB entries with a remote", () => {
    const neigh = [
      { dst: "10.244.2.0", dev: "flannel.1", lladdr: "02:aa:bb:cc:dd:ee", state: ["PERMANENT"] },
      { dst: "172.18.0.3", dev: "eth0", lladdr: "02:00:00:00:00:03", state: ["REACHABLE"] },
      { dst: "fe80::1", dev: "eth0", lladdr: "02:00:00:00:00:03", state: ["PERMANENT"] },
    ];
    assert.deepEqual(parseNeighbours(neigh), [
      { dev: "flannel.1", ip: "10.244.2.0", lladdr: "02:aa:bb:cc:dd:ee" },
    ]);
    const fdb = [
      { mac: "02:aa:bb:cc:dd:ee", dst: "172.18.0.3", flags: ["self"], state: "permanent" },
      { mac: "33:33:00:00:00:01", flags: ["self"], state: "permanent" },
    ];
    assert.deepEqual(parseFdb("flannel.1", fdb), [
      { dev: "flannel.1", mac: "02:aa:bb:cc:dd:ee", dst: "172.18.0.3" },
    ]);
  });

  it("splits batch output and sysctl values", () => {
    assert.deepEqual(splitJsonLines('[{"a":1}]\n[]\n\n'), [[{ a: 1 }], []]);
    // `sysctl -e` output; flannel.1 (shown as flannel/1) exists, eth9 does not.
    const out = "net.ipv4.ip_forward = 0\nnet.ipv4.conf.flannel/1.rp_filter = 1\n";
    const keys = ["net/ipv4/ip_forward", "net/ipv4/conf/flannel.1/rp_filter", "net/ipv4/conf/eth9/rp_filter"];
    assert.deepEqual(parseSysctls(keys, out), [
      { key: "net/ipv4/ip_forward", value: "0" },
      { key: "net/ipv4/conf/flannel.1/rp_filter", value: "1" },
      { key: "net/ipv4/conf/eth9/rp_filter", value: "" },
    ]);
    assert.throws(() => parseLinks({ error: "x" }), /unexpected link output/);
  });
});
