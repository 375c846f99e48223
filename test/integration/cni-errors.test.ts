/**
 * Bad input to flatnet-cni and flatnet-ipam, exec'd as a runtime does: each case gets the
 * spec's error code on stdout as the spec's error JSON, with a message naming the cause, a
 * non-zero exit status, and leaves the node exactly as it was: no veth, no bridge or address
 * change (compared link by link), no allocation in the IPAM store, nothing in the pod.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { run } from "../../src/kernel/exec.js";
import { allocatedIps, CniTestbed, callOk, callPlugin, type PluginCall } from "../helpers/cni.js";

describe("flatnet-cni error paths", () => {
  let tb: CniTestbed;
  let pod: { name: string; path: string };
  let dataDir: string;
  before(async () => {
    tb = await CniTestbed.create();
    pod = await tb.pod("err");
    dataDir = `${tb.dir}/ipam`;
  });
  after(async () => {
    await tb?.cleanup();
  });

  const conf = (extra: object = {}, ipam: object = {}) => ({
    cniVersion: "1.1.0",
    name: "errnet",
    type: "flatnet-cni",
    bridge: "brerr",
    ipam: { type: "flatnet-ipam", dataDir, ranges: [[{ subnet: "10.81.0.0/24" }]], ...ipam },
    ...extra,
  });
  const call = (extra: Partial<PluginCall> = {}): PluginCall => ({
    plugin: "flatnet-cni",
    command: "ADD",
    hostNetns: tb.host,
    config: conf(),
    containerId: "ctr-err",
    netns: pod.path,
    ifname: "eth0",
    ...extra,
  });

  /** Run a failing call; assert the code, the message, and that nothing changed. */
  async function fails(c: PluginCall, code: number, msg: RegExp, network = "errnet"): Promise<void> {
    const before = await tb.hostSnapshot();
    const allocated = allocatedIps(dataDir, network);
    const podLinks = (await tb.links(pod.name)).map((l) => l.ifname).sort();
    const out = await callPlugin(c);
    assert.notEqual(out.code, 0, "non-zero exit status");
    assert.ok(out.json, `error JSON on stdout, got ${JSON.stringify(out.stdout)}`);
    assert.equal(out.json.code, code, out.stdout);
    assert.match(out.json.msg, msg);
    assert.equal(typeof out.json.cniVersion, "string");
    assert.equal(await tb.hostSnapshot(), before, "node links, masters and addresses unchanged");
    assert.deepEqual(allocatedIps(dataDir, network), allocated, "no allocation left behind");
    assert.deepEqual(
      (await tb.links(pod.name)).map((l) => l.ifname).sort(),
      podLinks,
      "nothing added to the pod",
    );
  }

  it("malformed JSON: code 6", async () => {
    await fails(call({ config: '{"cniVersion": "1.1.0", "name": ' }), 6, /not valid JSON/);
    await fails(call({ config: "[]" }), 6, /must be a JSON object/);
  });

  it("missing or bad environment: code 4 naming the variable", async () => {
    await fails(call({ omit: ["CNI_NETNS"] }), 4, /CNI_NETNS is not set/);
    await fails(call({ omit: ["CNI_COMMAND"] }), 4, /CNI_COMMAND is not set/);
    await fails(call({ omit: ["CNI_IFNAME"] }), 4, /CNI_IFNAME is not set/);
    await fails(call({ ifname: "this-name-is-too-long" }), 4, /CNI_IFNAME .* is not a valid interface name/);
    await fails(call({ args: "K8S_POD_NAME" }), 4, /CNI_ARGS/);
  });

  it("unsupported cniVersion: code 1", async () => {
    await fails(
      call({ config: conf({ cniVersion: "0.3.1" }) }),
      1,
      /incompatible CNI version: config is "0\.3\.1"/,
    );
    await fails(call({ config: conf({ cniVersion: "2.0.0" }) }), 1, /"2\.0\.0"/);
  });

  it("bad CIDRs and addresses: code 7 naming the field", async () => {
    await fails(
      call({ config: conf({}, { ranges: [[{ subnet: "10.81.0.0/33" }]] }) }),
      7,
      /ipam\.ranges\[0\]\[0\]\.subnet: invalid CIDR "10\.81\.0\.0\/33"/,
    );
    await fails(call({ config: conf({}, { ranges: [[{ subnet: "10.81.0.300/24" }]] }) }), 7, /octet 300/);
    await fails(
      call({ config: conf({}, { ranges: [[{ subnet: "10.81.0.0/24", gateway: "10.9.9.9" }]] }) }),
      7,
      /outside/,
    );
    await fails(call({ args: "IP=10.99.0.5" }), 7, /requested IP 10\.99\.0\.5 is not in any range/);
  });

  it("unsupported options: code 2; unknown IPAM plugin and missing fields: code 7", async () => {
    await fails(call({ config: conf({ ipMasq: true }) }), 2, /"ipMasq" is not supported/);
    await fails(
      call({ config: conf({}, { type: "no-such-ipam" }) }),
      7,
      /plugin "no-such-ipam" was not found in CNI_PATH/,
    );
    await fails(call({ config: conf({ name: undefined }) }), 7, /"name" is missing/);
    await fails(call({ command: "CHECK" }), 7, /CHECK needs prevResult/);
  });

  it("a netns path that does not exist: code 3", async () => {
    await fails(
      call({ netns: "/run/netns/flatnet-no-such-netns" }),
      3,
      /CNI_NETNS \/run\/netns\/flatnet-no-such-netns does not exist/,
    );
    await fails(call({ netns: "/proc/999999999/ns/net" }), 3, /does not exist/);
  });

  it("the interface already exists in the container: code 101, and a bridge made for the ADD is removed", async () => {
    await run(["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0peer"], { netns: pod.name });
    try {
      assert.equal(await tb.link(tb.host, "brerr"), undefined, "the bridge does not exist yet");
      await fails(call(), 101, /interface eth0 already exists in the container's netns/);
    } finally {
      await run(["ip", "link", "del", "eth0"], { netns: pod.name });
    }
  });

  it("a repeated ADD of the same container and ifname: code 101, the first one intact", async () => {
    const first = await callOk(call({ containerId: "ctr-twice" }));
    await fails(call({ containerId: "ctr-twice" }), 101, /already holds 10\.81\.0\.\d+\/24/);
    await callOk(
      call({ command: "CHECK", containerId: "ctr-twice", config: { ...conf(), prevResult: first.json } }),
    );
    await callOk(call({ command: "DEL", containerId: "ctr-twice" }));
  });

  it("the kernel refusing the pod side (unreachable route gateway): code 100 naming the line, all rolled back", async () => {
    await fails(
      call({ config: conf({ bridge: "brroute" }, { routes: [{ dst: "10.200.0.0/16", gw: "192.0.2.1" }] }) }),
      100,
      /route add 10\.200\.0\.0\/16 via 192\.0\.2\.1 dev eth0.* failed/,
    );
  });

  it("an exhausted range: code 102 on ADD, STATUS says not available (50)", async () => {
    const small = conf({ name: "tiny" }, { ranges: [[{ subnet: "10.82.0.0/30" }]] });
    const other = await tb.pod("err2");
    await callOk(call({ config: small, containerId: "ctr-only", netns: other.path }));
    await fails(call({ config: small }), 102, /no free address in 10\.82\.0\.0\/30/, "tiny");
    const status = await callPlugin(call({ command: "STATUS", config: small }));
    assert.equal(status.code, 1);
    assert.equal(status.json.code, 50);
    assert.match(status.json.msg, /10\.82\.0\.0\/30.*has no free address/);
    await callOk(call({ command: "DEL", config: small, containerId: "ctr-only", netns: other.path }));
    await callOk(call({ command: "STATUS", config: small }));
  });

  it("flatnet-ipam as a plugin answers errors the same way", async () => {
    const ipamCall = (extra: Partial<PluginCall>) => call({ plugin: "flatnet-ipam", ...extra });
    await fails(ipamCall({ config: "not json" }), 6, /not valid JSON/);
    await fails(
      ipamCall({
        config: conf({}, { subnet: "10.83.0.0/24", ranges: undefined }),
        omit: ["CNI_CONTAINERID"],
      }),
      4,
      /CNI_CONTAINERID/,
    );
    await fails(ipamCall({ config: conf({ cniVersion: "0.2.0" }) }), 1, /0\.2\.0/);
  });
});
