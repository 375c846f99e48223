import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hostGw } from "../backends/hostgw.js";
import { threeNodes } from "../backends/testdata.js";
import { vxlan } from "../backends/vxlan.js";
import { emptyPodNetwork, type NodeNetInfo } from "../model/podnet.js";
import { UserError } from "../util/errors.js";
import { PodNetApplier } from "./podnet-applier.js";
import { FakeNodeKernel } from "./podnet-fake.js";

const [a, b, c] = threeNodes();
const d: NodeNetInfo = {
  name: "node-d",
  nodeIP: "172.18.0.5",
  podCIDR: "10.244.4.0/24",
  underlaySubnet: "172.18.0.0/16",
};

function nodeA(): { kernel: FakeNodeKernel; applier: PodNetApplier } {
  const kernel = new FakeNodeKernel("node-a")
    .addUnderlay("eth0", "172.18.0.2/16")
    .addForeignRoute({ dst: "192.168.50.0/24", via: "172.18.0.1", dev: "eth0" })
    .addForeignRoute({ dst: "default", via: "172.18.0.1", dev: "eth0" });
  return { kernel, applier: new PodNetApplier(kernel) };
}

/** The fake kernel's state, for before/after comparisons. */
function state(k: FakeNodeKernel) {
  return structuredClone({
    links: [...k.links.values()],
    a: k.addresses,
    r: k.routes,
    n: k.neighbours,
    f: k.fdb,
    s: [...k.sysctls],
  });
}

describe("pod network applier (fake kernel)", () => {
  it("builds the vxlan node from scratch, then a second apply changes nothing", async () => {
    const { kernel, applier } = nodeA();
    const want = vxlan.desired(a, [b, c]);
    const first = await applier.apply(want);
    assert.equal(first.changed, true);
    assert.equal(kernel.links.get("flannel.1")?.mtu, 1450);
    assert.equal(kernel.routes.filter((r) => r.protocol === "241").length, 2);
    assert.equal(kernel.neighbours.length, 2);
    assert.equal(kernel.fdb.length, 2);
    assert.equal(kernel.sysctls.get("net/ipv4/ip_forward"), "1");
    assert.equal(kernel.sysctls.get("net/ipv4/conf/all/rp_filter"), "0");
    assert.equal(kernel.sysctls.get("net/ipv4/conf/eth0/rp_filter"), "0");
    // flannel.1 was created with the strict default and then relaxed.
    assert.equal(kernel.sysctls.get("net/ipv4/conf/flannel.1/rp_filter"), "0");
    // Routes come last, after the links and entries they depend on.
    assert.equal(first.ops.at(-1)?.op, "route-replace");

    const before = state(kernel);
    const second = await applier.apply(want);
    assert.deepEqual(second, { changed: false, ops: [], commands: [] });
    assert.deepEqual(state(kernel), before);
  });

  it("adds exactly a new peer's entries, and removes exactly them again", async () => {
    const { kernel, applier } = nodeA();
    await applier.apply(vxlan.desired(a, [b, c]));
    const withoutD = state(kernel);
    const added = await applier.apply(vxlan.desired(a, [b, c, d]));
    assert.deepEqual(
      added.ops.map((o) => o.op),
      ["neigh-replace", "fdb-replace", "route-replace"],
    );
    assert.deepEqual(added.commands, [
      `ip neigh replace 10.244.4.0 lladdr ${vxlan.desired(a, [d]).fdb[0]!.mac} dev flannel.1 nud permanent`,
      `bridge fdb replace ${vxlan.desired(a, [d]).fdb[0]!.mac} dev flannel.1 dst 172.18.0.5 self permanent`,
      "ip route replace 10.244.4.0/24 via 10.244.4.0 dev flannel.1 onlink proto 241",
    ]);
    const removed = await applier.apply(vxlan.desired(a, [b, c]));
    assert.deepEqual(
      removed.ops.map((o) => o.op),
      ["route-del", "neigh-del", "fdb-del"],
    );
    assert.deepEqual(state(kernel), withoutD);
  });

  it("follows a peer whose node IP or VTEP MAC changed", async () => {
    const { kernel, applier } = nodeA();
    await applier.apply(vxlan.desired(a, [b]));
    const moved = { ...b, nodeIP: "172.18.0.30", vtepMAC: "02:00:00:00:00:30" };
    const report = await applier.apply(vxlan.desired(a, [moved]));
    assert.deepEqual(
      report.ops.map((o) => o.op),
      ["fdb-del", "neigh-replace", "fdb-replace"],
    );
    assert.deepEqual(kernel.fdb, [{ dev: "flannel.1", mac: "02:00:00:00:00:30", dst: "172.18.0.30" }]);
    assert.deepEqual(kernel.neighbours, [
      { dev: "flannel.1", ip: "10.244.2.0", lladdr: "02:00:00:00:00:30" },
    ]);
  });

  it("recreates the device when an attribute that cannot change in place differs", async () => {
    const { kernel, applier } = nodeA();
    await applier.apply(vxlan.desired(a, [b, c]));
    kernel.links.get("flannel.1")!.vxlan!.port = 4789;
    const report = await applier.apply(vxlan.desired(a, [b, c]));
    assert.deepEqual(
      report.ops.slice(0, 2).map((o) => o.op),
      ["link-del", "link-add"],
    );
    assert.equal(kernel.links.get("flannel.1")?.vxlan?.port, 8472);
    assert.equal(kernel.fdb.length, 2);
    // The new device starts strict again, so its sysctl is set although the old one had it.
    assert.ok(report.commands.includes("sysctl -w net/ipv4/conf/flannel.1/rp_filter=0"));
    assert.equal(kernel.sysctls.get("net/ipv4/conf/flannel.1/rp_filter"), "0");
    assert.equal((await applier.apply(vxlan.desired(a, [b, c]))).changed, false);
  });

  it("changes MTU in place and brings a downed device back up", async () => {
    const { kernel, applier } = nodeA();
    await applier.apply(vxlan.desired(a, [b]));
    kernel.links.get("flannel.1")!.up = false;
    const report = await applier.apply(vxlan.desired(a, [b], { underlayMTU: 1400 }));
    assert.deepEqual(report.commands, ["ip link set flannel.1 mtu 1350 up"]);
  });

  it("switches backends: vxlan to host-gw removes flannel.1 and its routes", async () => {
    const { kernel, applier } = nodeA();
    await applier.apply(vxlan.desired(a, [b, c]));
    const report = await applier.apply(hostGw.desired(a, [b, c]));
    // flannel.1's routes, neighbours and FDB go with the link; nothing is deleted twice.
    assert.deepEqual(
      report.ops.map((o) => o.op),
      ["link-del", "route-replace", "route-replace"],
    );
    assert.equal(kernel.links.has("flannel.1"), false);
    assert.deepEqual(
      kernel.routes.filter((r) => r.protocol === "241").map((r) => `${r.dst} via ${r.via} dev ${r.dev}`),
      ["10.244.2.0/24 via 172.18.0.3 dev eth0", "10.244.3.0/24 via 172.18.0.4 dev eth0"],
    );
    assert.equal((await applier.apply(hostGw.desired(a, [b, c]))).changed, false);
  });

  it("never touches foreign routes, and empty desired state removes all of flatnet's", async () => {
    const { kernel, applier } = nodeA();
    const foreign = structuredClone(kernel.routes);
    await applier.apply(vxlan.desired(a, [b, c]));
    await applier.apply(emptyPodNetwork());
    assert.deepEqual(kernel.routes, foreign);
    assert.equal(kernel.links.has("flannel.1"), false);
    assert.deepEqual([kernel.neighbours, kernel.fdb], [[], []]);
  });

  it("removes stale flatnet routes that the backend would not make", async () => {
    const { kernel, applier } = nodeA();
    await applier.apply(hostGw.desired(a, [b]));
    kernel.routes.push({
      dst: "10.244.9.0/24",
      via: "172.18.0.9",
      dev: "eth0",
      onlink: false,
      protocol: "241",
      metric: 0,
    });
    kernel.routes.push({
      dst: "10.244.2.0/24",
      via: "172.18.0.3",
      dev: "eth0",
      onlink: false,
      protocol: "241",
      metric: 7,
    });
    const report = await applier.apply(hostGw.desired(a, [b]));
    assert.deepEqual(report.commands, [
      "ip route del 10.244.2.0/24 via 172.18.0.3 dev eth0 proto 241 metric 7",
      "ip route del 10.244.9.0/24 via 172.18.0.9 dev eth0 proto 241",
    ]);
  });

  it("refuses to overwrite a foreign route to a peer's podCIDR", async () => {
    const { kernel, applier } = nodeA();
    kernel.addForeignRoute({ dst: "10.244.2.0/24", via: "172.18.0.1", dev: "eth0" });
    await assert.rejects(
      applier.apply(hostGw.desired(a, [b])),
      (e: unknown) =>
        e instanceof UserError && /route to 10\.244\.2\.0\/24 .* not made by flatnet/.test(e.message),
    );
    assert.equal(kernel.executed.length, 0);
  });

  it("refuses a foreign link of another kind named flannel.1, and a missing underlay device", async () => {
    const { kernel, applier } = nodeA();
    kernel.links.set("flannel.1", {
      name: "flannel.1",
      kind: "bridge",
      up: true,
      mtu: 1500,
      mac: "02:00:00:00:00:99",
    });
    await assert.rejects(
      applier.apply(vxlan.desired(a, [b])),
      /a bridge link named flannel\.1 exists and was not made by flatnet/,
    );
    const bare = new PodNetApplier(new FakeNodeKernel("bare"));
    await assert.rejects(bare.apply(vxlan.desired(a, [b])), /underlay device eth0 does not exist/);
    await assert.rejects(
      bare.apply(hostGw.desired(a, [b])),
      /device eth0 does not exist, so the route to 10\.244\.2\.0\/24 via 172\.18\.0\.3 cannot use it/,
    );
  });

  it("adopts a compatible flannel.1 left without flatnet's alias", async () => {
    const { kernel, applier } = nodeA();
    await applier.apply(vxlan.desired(a, [b]));
    kernel.links.get("flannel.1")!.alias = undefined;
    const report = await applier.apply(vxlan.desired(a, [b]));
    assert.deepEqual(report.commands, ["ip link set flannel.1 alias flatnet:vxlan up"]);
  });
});
