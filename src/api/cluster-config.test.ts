import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UserError } from "../util/errors.js";
import { defaultClusterConfig, resolveClusterConfig } from "./cluster-config.js";
import { assertRejects, load } from "./test-support.js";

const cluster = (fields: object = {}) => ({ apiVersion: "flatnet.dev/v1alpha1", kind: "Cluster", ...fields });
const networking = (net: object) => cluster({ networking: net });

describe("Cluster config", () => {
  it("defaults to two worker nodes and kind/kubeadm's address plan", () => {
    assert.deepEqual(defaultClusterConfig(), {
      name: "lab",
      nodes: [
        { name: "node-1", role: "worker", labels: {} },
        { name: "node-2", role: "worker", labels: {} },
      ],
      networking: {
        podSubnet: "10.244.0.0/16",
        serviceSubnet: "10.96.0.0/12",
        nodeCIDRMaskSize: 24,
        backend: "vxlan",
        mtu: 1500,
        nodePortRange: { min: 30000, max: 32767 },
        dnsDomain: "cluster.local",
        upstreamDNS: [],
      },
    });
  });

  it("reads the file, naming unnamed nodes node-<position> and skipping names taken", () => {
    const objects = load(
      cluster({
        name: "demo",
        nodes: [{ role: "control-plane" }, { name: "node-3", labels: { zone: "a" } }, {}],
        networking: {
          backend: "host-gw",
          podSubnet: "10.200.0.0/16",
          nodeCIDRMaskSize: 25,
          nodePortRange: "31000-31999",
        },
      }),
    );
    const config = resolveClusterConfig(objects);
    assert.equal(config.name, "demo");
    assert.deepEqual(config.nodes, [
      { name: "node-1", role: "control-plane", labels: {} },
      { name: "node-3", role: "worker", labels: { zone: "a" } },
      { name: "node-4", role: "worker", labels: {} },
    ]);
    assert.equal(config.networking.backend, "host-gw");
    assert.equal(config.networking.podSubnet, "10.200.0.0/16");
    assert.equal(config.networking.nodeCIDRMaskSize, 25);
    assert.deepEqual(config.networking.nodePortRange, { min: 31000, max: 31999 });
  });

  it("lets CLI flags override the file: --name, --nodes (keeping listed nodes first), --backend", () => {
    const objects = load(
      cluster({ name: "demo", nodes: [{ name: "cp", role: "control-plane" }, { name: "w" }] }),
    );
    const config = resolveClusterConfig(objects, { name: "other", nodes: 3, backend: "host-gw" });
    assert.equal(config.name, "other");
    assert.deepEqual(
      config.nodes.map((n) => `${n.name}:${n.role}`),
      ["cp:control-plane", "w:worker", "node-3:worker"],
    );
    assert.equal(config.networking.backend, "host-gw");
    assert.deepEqual(
      resolveClusterConfig(objects, { nodes: 1 }).nodes.map((n) => n.name),
      ["cp"],
    );
    assert.equal(resolveClusterConfig([], { nodes: 4 }).nodes.length, 4);
  });

  it("rejects bad flags naming the flag", () => {
    assert.throws(
      () => resolveClusterConfig([], { backend: "bgp" }),
      (err: unknown) =>
        err instanceof UserError &&
        /^--backend "bgp": unknown pod-network backend$/.test(err.message) &&
        err.fix === "use one of: vxlan, host-gw",
    );
    assert.throws(
      () => resolveClusterConfig([], { nodes: 0 }),
      /--nodes 0: must be a whole number of at least 1/,
    );
    assert.throws(
      () => resolveClusterConfig([], { name: "My Lab" }),
      /--name "My Lab": must be a lowercase RFC 1123 label/,
    );
    const small = load(networking({ podSubnet: "10.244.0.0/22" }));
    assert.throws(
      () => resolveClusterConfig(small, { nodes: 5 }),
      /invalid Cluster config after --nodes 5: nodes: Invalid value: "5 nodes": podSubnet has room for only 4 node CIDRs of \/24/,
    );
  });

  it("validates names, nodes and unknown fields", () => {
    assertRejects(cluster({ name: "Lab_1" }), "name", "Lab_1");
    assertRejects(cluster({ nodes: [] }), "nodes", undefined, /list at least one node/);
    assertRejects(
      cluster({ nodes: [{ name: "a" }, { name: "a" }] }),
      "nodes[1].name",
      "a",
      /Duplicate value/,
    );
    assertRejects(
      cluster({ nodes: [{ role: "master" }] }),
      "nodes[0].role",
      "master",
      /supported values: "control-plane", "worker"/,
    );
    assertRejects(cluster({ nodes: [{ labels: { zone: "a b" } }] }), "nodes[0].labels[zone]", "a b");
    assertRejects(cluster({ nodes: [{ image: "kindest/node" }] }), "nodes[0].image", "image");
    assertRejects(
      networking({ podSubnets: "10.0.0.0/8" }),
      "networking.podSubnets",
      "podSubnets",
      /supported values: "podSubnet"/,
    );
  });

  it("validates subnets: CIDRs without host bits, one family, no overlap, sizes", () => {
    assertRejects(
      networking({ podSubnet: "10.244.0.0/33" }),
      "networking.podSubnet",
      "10.244.0.0/33",
      /valid CIDR/,
    );
    assertRejects(
      networking({ podSubnet: "10.244.1.0/16" }),
      "networking.podSubnet",
      "10.244.1.0/16",
      /host bits are set/,
    );
    assertRejects(
      networking({ serviceSubnet: "10.244.128.0/24" }),
      "networking.serviceSubnet",
      "10.244.128.0/24",
      /must not overlap podSubnet 10.244.0.0\/16/,
    );
    assertRejects(
      networking({ podSubnet: "10.0.0.0/8" }),
      "networking.serviceSubnet",
      "10.96.0.0/12",
      /must not overlap podSubnet 10.0.0.0\/8/,
    );
    assertRejects(
      networking({ serviceSubnet: "fd00:10:96::/112" }),
      "networking.serviceSubnet",
      "fd00:10:96::/112",
      /same IP family as podSubnet/,
    );
    assertRejects(
      networking({ serviceSubnet: "10.64.0.0/11" }),
      "networking.serviceSubnet",
      "10.64.0.0/11",
      /too large/,
    );
    assertRejects(
      networking({ serviceSubnet: "10.96.0.0/29" }),
      "networking.serviceSubnet",
      "10.96.0.0/29",
      /too small/,
    );
  });

  it("validates the node mask against the pod subnet", () => {
    assertRejects(
      networking({ nodeCIDRMaskSize: 16 }),
      "networking.nodeCIDRMaskSize",
      16,
      /greater than the podSubnet prefix \(\/16\)/,
    );
    assertRejects(networking({ nodeCIDRMaskSize: 31 }), "networking.nodeCIDRMaskSize", 31, /at most 30/);
    assertRejects(
      networking({ podSubnet: "10.0.0.0/8", serviceSubnet: "192.168.0.0/16", nodeCIDRMaskSize: 26 }),
      "networking.nodeCIDRMaskSize",
      26,
      /at most 16 bits longer/,
    );
    assertRejects(
      cluster({ nodes: [{}, {}, {}], networking: { podSubnet: "10.244.0.0/23" } }),
      "nodes",
      "3 nodes",
      /room for only 2 node CIDRs/,
    );
    const v6 = resolveClusterConfig(
      load(networking({ podSubnet: "fd00:10:244::/56", serviceSubnet: "fd00:10:96::/112" })),
    );
    assert.equal(v6.networking.nodeCIDRMaskSize, 64);
  });

  it("validates backend, mtu, NodePort range, DNS domain and upstream DNS", () => {
    assertRejects(
      networking({ backend: "bgp" }),
      "networking.backend",
      "bgp",
      /supported values: "vxlan", "host-gw"/,
    );
    assertRejects(networking({ mtu: 576 }), "networking.mtu", 576, /between 1280 and 9000/);
    assertRejects(networking({ nodePortRange: "32767-30000" }), "networking.nodePortRange", "32767-30000");
    assertRejects(networking({ nodePortRange: "30000-70000" }), "networking.nodePortRange", "30000-70000");
    assertRejects(networking({ nodePortRange: "30000" }), "networking.nodePortRange", "30000", /FIRST-LAST/);
    assertRejects(networking({ dnsDomain: "Cluster.Local" }), "networking.dnsDomain", "Cluster.Local");
    assertRejects(networking({ upstreamDNS: ["dns.google"] }), "networking.upstreamDNS[0]", "dns.google");
    assertRejects(
      networking({ upstreamDNS: ["1.1.1.1", "8.8.8.8", "9.9.9.9", "1.0.0.1"] }),
      "networking.upstreamDNS",
      4,
      /at most 3 items/,
    );
  });

  it("allows one Cluster config per load", () => {
    const errs = () => load(cluster({ name: "a" }), cluster({ name: "b" }));
    assert.throws(
      errs,
      /t.yaml#1 Cluster b: Duplicate value: "Cluster": only one Cluster config per load; another is at t.yaml#0/,
    );
  });
});
