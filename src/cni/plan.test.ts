import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBridgeConf } from "./config.js";
import { addResult, desiredAttachment } from "./desired.js";
import { parseEnv } from "./env.js";
import { hostVethName, podMac } from "./names.js";
import { bridgeCreateLines, hostAttachLines, podLines, podRoutes, VETH_ADD_LINE } from "./plan.js";

const inv = parseEnv({
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "c0ffee",
  CNI_NETNS: "/proc/4242/ns/net",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/usr/lib/cni",
});
const conf = parseBridgeConf({
  cniVersion: "1.1.0",
  name: "pods",
  type: "flatnet-cni",
  mtu: 1450,
  ipam: { type: "flatnet-ipam", subnet: "10.244.1.0/24" },
});
const ipam = {
  cniVersion: "1.1.0",
  interfaces: [],
  ips: [{ address: "10.244.1.5/24", gateway: "10.244.1.1" }, { address: "fd00:10:244:1::5/64" }],
  routes: [{ dst: "10.96.0.0/12" }],
  dns: {},
};

describe("host veth names and MACs", () => {
  it("derives a stable 15-byte name from container and ifname", () => {
    const n = hostVethName("c0ffee", "eth0");
    assert.match(n, /^fnet[0-9a-f]{11}$/);
    assert.equal(n, hostVethName("c0ffee", "eth0"));
    assert.notEqual(n, hostVethName("c0ffee", "eth1"));
  });

  it("gives pods the 0a:58 MAC of their IPv4 address", () => {
    assert.equal(podMac(["10.244.1.5/24"], "c", "eth0"), "0a:58:0a:f4:01:05");
    assert.match(podMac(["fd00::5/64"], "c", "eth0"), /^0a:58(:[0-9a-f]{2}){4}$/);
  });
});

describe("pod datapath plan", () => {
  const a = desiredAttachment(conf, inv, ipam);

  it("puts each gateway on the bridge (the IPv6 one defaulted to the subnet's first address)", () => {
    assert.deepEqual(a.bridgeAddresses, ["10.244.1.1/24", "fd00:10:244:1::1/64"]);
    assert.equal(a.bridgeMac, "0a:58:0a:f4:01:01");
  });

  it("routes by default via the gateway of each family, and IPAM routes via their family's gateway", () => {
    assert.deepEqual(a.routes, [
      { dst: "0.0.0.0/0", gw: "10.244.1.1" },
      { dst: "::/0", gw: "fd00:10:244:1::1" },
      { dst: "10.96.0.0/12", gw: "10.244.1.1" },
    ]);
  });

  it("drops a duplicate default route from IPAM", () => {
    const r = podRoutes(
      [{ dst: "0.0.0.0/0" }, { dst: "10.96.0.0/12", gw: "10.244.1.254" }],
      ["10.244.1.1"],
      true,
    );
    assert.deepEqual(r, [
      { dst: "0.0.0.0/0", gw: "10.244.1.1" },
      { dst: "10.96.0.0/12", gw: "10.244.1.254" },
    ]);
  });

  it("checks the bridge, then creates the veth straight into the pod netns, before changing anything", () => {
    const lines = hostAttachLines(a);
    assert.equal(lines[0], "link show dev cni0");
    assert.equal(
      lines[VETH_ADD_LINE - 1],
      `link add ${a.hostVeth} mtu 1450 type veth peer name eth0 mtu 1450 address 0a:58:0a:f4:01:05 netns /proc/4242/ns/net`,
    );
    assert.ok(lines.includes(`link set ${a.hostVeth} type bridge_slave hairpin on`));
    assert.ok(lines.includes("addr replace fd00:10:244:1::1/64 dev cni0 nodad"));
    assert.equal(lines.at(-1), `link show dev ${a.hostVeth}`);
    assert.deepEqual(bridgeCreateLines(a), [
      "link add name cni0 address 0a:58:0a:f4:01:01 mtu 1450 type bridge",
      "link set cni0 up",
    ]);
  });

  it("configures the pod side in one batch", () => {
    assert.deepEqual(podLines(a), [
      "link set lo up",
      "addr add 10.244.1.5/24 dev eth0",
      "addr add fd00:10:244:1::5/64 dev eth0 nodad",
      "link set eth0 up",
      "route add 0.0.0.0/0 via 10.244.1.1 dev eth0",
      "route add ::/0 via fd00:10:244:1::1 dev eth0",
      "route add 10.96.0.0/12 via 10.244.1.1 dev eth0",
    ]);
  });

  it("builds the ADD result: bridge, host veth, pod interface; IPs point at the pod interface", () => {
    const r = addResult(
      conf,
      a,
      ipam,
      { bridgeMac: "0a:58:0a:f4:01:01", hostVethMac: "aa:bb:cc:dd:ee:ff" },
      undefined,
    );
    assert.deepEqual(
      r.interfaces.map((i) => i.name),
      ["cni0", a.hostVeth, "eth0"],
    );
    assert.equal(r.interfaces[2]!.sandbox, "/proc/4242/ns/net");
    assert.deepEqual(
      r.ips.map((ip) => [ip.address, ip.gateway, ip.interface]),
      [
        ["10.244.1.5/24", "10.244.1.1", 2],
        ["fd00:10:244:1::5/64", "fd00:10:244:1::1", 2],
      ],
    );
  });

  it("keeps a prevResult in front when chained after another plugin", () => {
    const prev = { cniVersion: "1.1.0", interfaces: [{ name: "lo" }], ips: [], routes: [], dns: {} };
    const r = addResult(conf, a, ipam, { bridgeMac: "m", hostVethMac: "n" }, prev);
    assert.equal(r.interfaces[0]!.name, "lo");
    assert.equal(r.ips[0]!.interface, 3);
  });

  it("leaves the bridge without addresses when isGateway is false", () => {
    const noGw = parseBridgeConf({ ...conf.raw, isGateway: false });
    const b = desiredAttachment(noGw, inv, ipam);
    assert.deepEqual(b.bridgeAddresses, []);
    assert.deepEqual(b.routes, [{ dst: "10.96.0.0/12" }]);
  });
});
