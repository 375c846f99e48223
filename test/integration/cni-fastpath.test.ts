/**
 * The fast path: bin/flatnet-cni and bin/flatnet-ipam (the native shim) hand requests to a
 * resident agent (startCniServer in this process) when the config names its socket. Every
 * command at every version through the agent, flatnet-ipam behind the reference bridge
 * through the agent, and the ways the shim must fall back or fail: no agent listening, an
 * agent serving another netns, "agentSocket" only nested (not top-level), malformed JSON, an
 * agent that hangs up mid-request (code 11), and a node netns recreated under the same name.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { type CniServer, startCniServer } from "../../src/cni/agent-server.js";
import { hostVethName } from "../../src/cni/names.js";
import { createNetns, deleteNetns } from "../../src/kernel/netns.js";
import { allocatedIps, CniTestbed, callOk, callPlugin, type PluginCall } from "../helpers/cni.js";

interface Served {
  plugin: string;
  command: string;
  status: number | "fallback";
}

describe("CNI fast path through the resident agent", () => {
  let tb: CniTestbed;
  let server: CniServer;
  let socketPath: string;
  const served: Served[] = [];
  before(async () => {
    tb = await CniTestbed.create();
    socketPath = `${tb.dir}/agent/cni.sock`;
    server = await startCniServer({
      socketPath,
      hostNetns: tb.host,
      onRequest: ({ plugin, command, status }) => served.push({ plugin, command, status }),
    });
  });
  after(async () => {
    await server?.close();
    await tb?.cleanup();
  });

  /** Run a call and return what the agent served for it (nothing when the shim did not ask it). */
  async function traced(call: PluginCall) {
    const mark = served.length;
    const out = await callPlugin(call);
    return { out, served: served.slice(mark) };
  }

  const conf = (version: string, n: number, extra: object = {}) => ({
    cniVersion: version,
    name: `fast${n}`,
    type: "flatnet-cni",
    bridge: `brfast${n}`,
    agentSocket: socketPath,
    ipam: { type: "flatnet-ipam", dataDir: `${tb.dir}/ipam`, ranges: [[{ subnet: `10.9${n}.0.0/24` }]] },
    ...extra,
  });

  for (const [n, version] of ["0.4.0", "1.0.0", "1.1.0"].entries()) {
    it(`ADD, CHECK, GC, STATUS, VERSION and DEL at ${version} are served by the agent`, async () => {
      const pod = await tb.pod(`fast${n}`);
      const config = conf(version, n);
      const call = (command: PluginCall["command"], extra: Partial<PluginCall> = {}): PluginCall => ({
        plugin: "flatnet-cni",
        command,
        hostNetns: tb.host,
        config,
        containerId: `ctr-fast${n}`,
        netns: pod.path,
        ifname: "eth0",
        ...extra,
      });
      const add = await traced(call("ADD"));
      assert.equal(add.out.code, 0, add.out.stdout);
      assert.deepEqual(add.served, [{ plugin: "flatnet-cni", command: "ADD", status: 0 }]);
      assert.equal(add.out.json.cniVersion, version);
      assert.equal(add.out.json.ips[0].address, `10.9${n}.0.2/24`);
      assert.equal(add.out.json.ips[0].version, version === "0.4.0" ? "4" : undefined);
      assert.ok((await tb.link(pod.name, "eth0"))?.addr_info?.some((a) => a.local === `10.9${n}.0.2`));
      assert.equal((await tb.link(tb.host, hostVethName(`ctr-fast${n}`, "eth0")))?.master, `brfast${n}`);

      const check = await traced(call("CHECK", { config: { ...config, prevResult: add.out.json } }));
      assert.equal(check.out.code, 0, check.out.stdout);
      assert.deepEqual(check.served, [{ plugin: "flatnet-cni", command: "CHECK", status: 0 }]);

      const version_ = await traced(
        call("VERSION", { config: { cniVersion: version, agentSocket: socketPath } }),
      );
      assert.deepEqual(version_.out.json.supportedVersions, ["0.4.0", "1.0.0", "1.1.0"]);
      assert.equal(version_.served.length, 1);

      const gcConf = {
        ...config,
        "cni.dev/valid-attachments": [{ containerID: `ctr-fast${n}`, ifname: "eth0" }],
      };
      const gc = await traced(call("GC", { config: gcConf }));
      const status = await traced(call("STATUS"));
      if (version === "1.1.0") {
        assert.equal(gc.out.code, 0, gc.out.stdout);
        assert.equal(status.out.code, 0, status.out.stdout);
        assert.deepEqual(
          allocatedIps(`${tb.dir}/ipam`, `fast${n}`),
          [`10.9${n}.0.2`],
          "GC kept the valid one",
        );
      } else {
        assert.equal(gc.out.json.code, 1);
        assert.equal(status.out.json.code, 1);
      }
      assert.deepEqual(
        [...gc.served, ...status.served].map((s) => s.command),
        ["GC", "STATUS"],
      );

      const del = await traced(call("DEL"));
      assert.equal(del.out.code, 0, del.out.stdout);
      assert.deepEqual(del.served, [{ plugin: "flatnet-cni", command: "DEL", status: 0 }]);
      assert.equal(await tb.link(pod.name, "eth0"), undefined);
      assert.deepEqual(allocatedIps(`${tb.dir}/ipam`, `fast${n}`), []);
    });
  }

  it("serves flatnet-ipam for the reference bridge", async () => {
    const pod = await tb.pod("refipam");
    const config = {
      cniVersion: "1.0.0",
      name: "fastref",
      type: "bridge",
      bridge: "brfastref",
      isGateway: true,
      agentSocket: socketPath,
      ipam: { type: "flatnet-ipam", dataDir: `${tb.dir}/ipam`, ranges: [[{ subnet: "10.89.0.0/24" }]] },
    };
    const call = (command: PluginCall["command"]): PluginCall => ({
      plugin: "bridge",
      command,
      hostNetns: tb.host,
      config,
      containerId: "ctr-refipam",
      netns: pod.path,
      ifname: "eth0",
    });
    const add = await traced(call("ADD"));
    assert.equal(add.out.code, 0, add.out.stdout);
    assert.deepEqual(add.served, [{ plugin: "flatnet-ipam", command: "ADD", status: 0 }]);
    assert.equal(add.out.json.ips[0].address, "10.89.0.2/24");
    const del = await traced(call("DEL"));
    assert.deepEqual(del.served, [{ plugin: "flatnet-ipam", command: "DEL", status: 0 }]);
    assert.deepEqual(allocatedIps(`${tb.dir}/ipam`, "fastref"), []);
  });

  it("delegates IPAM to the reference host-local from the agent (1.1.0 config, negotiated to 1.0.0)", async () => {
    const pod = await tb.pod("fasthl");
    const dataDir = `${tb.dir}/hostlocal`;
    const config = conf("1.1.0", 8, {
      ipam: { type: "host-local", dataDir, ranges: [[{ subnet: "10.98.0.0/24" }]] },
    });
    const call = (command: PluginCall["command"], extra: Partial<PluginCall> = {}): PluginCall => ({
      plugin: "flatnet-cni",
      command,
      hostNetns: tb.host,
      config,
      containerId: "ctr-fasthl",
      netns: pod.path,
      ifname: "eth0",
      ...extra,
    });
    const add = await traced(call("ADD"));
    assert.equal(add.out.code, 0, add.out.stdout);
    assert.deepEqual(add.served, [{ plugin: "flatnet-cni", command: "ADD", status: 0 }]);
    assert.equal(add.out.json.cniVersion, "1.1.0");
    assert.equal(add.out.json.ips[0].address, "10.98.0.2/24");
    assert.deepEqual(allocatedIps(dataDir, "fast8"), ["10.98.0.2"]);
    const check = await traced(call("CHECK", { config: { ...config, prevResult: add.out.json } }));
    assert.equal(check.out.code, 0, check.out.stdout);
    const del = await traced(call("DEL"));
    assert.equal(del.out.code, 0, del.out.stdout);
    assert.deepEqual(allocatedIps(dataDir, "fast8"), []);
  });

  it("errors come back through the agent with the same codes; malformed JSON takes the slow path", async () => {
    const pod = await tb.pod("fasterr");
    const base = {
      plugin: "flatnet-cni",
      command: "ADD" as const,
      hostNetns: tb.host,
      containerId: "ctr-fasterr",
      netns: pod.path,
      ifname: "eth0",
    };
    const badCidr = await traced({
      ...base,
      config: conf("1.1.0", 3, { ipam: { type: "flatnet-ipam", subnet: "10.93.0.0/99" } }),
    });
    assert.equal(badCidr.out.json.code, 7);
    assert.deepEqual(badCidr.served, [{ plugin: "flatnet-cni", command: "ADD", status: 1 }]);
    const noNetns = await traced({ ...base, config: conf("1.1.0", 3), netns: "/run/netns/flatnet-none" });
    assert.equal(noNetns.out.json.code, 3);
    const malformed = await traced({ ...base, config: `{"agentSocket": "${socketPath}", "cniVersion": ` });
    assert.equal(malformed.out.json.code, 6);
    assert.deepEqual(malformed.served, [], "the shim does not send what it cannot parse");
  });

  it("falls back to the standalone plugin when no agent listens or agentSocket is only nested", async () => {
    const pod = await tb.pod("fastfb");
    const call = (config: object, command: PluginCall["command"] = "ADD"): PluginCall => ({
      plugin: "flatnet-cni",
      command,
      hostNetns: tb.host,
      config,
      containerId: "ctr-fastfb",
      netns: pod.path,
      ifname: "eth0",
    });
    const dead = conf("1.1.0", 4, { agentSocket: `${tb.dir}/nobody-listens.sock` });
    const add = await traced(call(dead));
    assert.equal(add.out.code, 0, add.out.stdout);
    assert.deepEqual(add.served, []);
    assert.ok((await tb.link(pod.name, "eth0"))?.addr_info?.some((a) => a.local === "10.94.0.2"));
    const nested = { ...conf("1.1.0", 4), agentSocket: undefined, args: { agentSocket: socketPath } };
    const del = await traced(call(nested, "DEL"));
    assert.equal(del.out.code, 0, del.out.stdout);
    assert.deepEqual(del.served, [], "only a top-level agentSocket counts");
    assert.equal(await tb.link(pod.name, "eth0"), undefined);
  });

  it("an agent serving another netns answers FALLBACK and the shim runs the plugin itself", async () => {
    const otherNode = `flatnet-t${tb.id}-other`;
    await createNetns(otherNode);
    const otherSocket = `${tb.dir}/other.sock`;
    const other: Served[] = [];
    const srv = await startCniServer({
      socketPath: otherSocket,
      hostNetns: otherNode,
      onRequest: ({ plugin, command, status }) => other.push({ plugin, command, status }),
    });
    try {
      const pod = await tb.pod("fastother");
      const config = conf("1.1.0", 5, { agentSocket: otherSocket });
      const out = await callOk({
        plugin: "flatnet-cni",
        command: "ADD",
        hostNetns: tb.host,
        config,
        containerId: "ctr-other",
        netns: pod.path,
        ifname: "eth0",
      });
      assert.deepEqual(other, [{ plugin: "flatnet-cni", command: "ADD", status: "fallback" }]);
      assert.equal(out.json.ips[0].address, "10.95.0.2/24");
      assert.ok(await tb.link(tb.host, "brfast5"), "wired in the netns the plugin ran in, not the agent's");
      await callOk({
        plugin: "flatnet-cni",
        command: "DEL",
        hostNetns: tb.host,
        config,
        containerId: "ctr-other",
        netns: pod.path,
        ifname: "eth0",
      });
    } finally {
      await srv.close();
      await deleteNetns(otherNode);
    }
  });

  it("an agent that hangs up after taking the request gets code 11 (try again later)", async () => {
    const hangupSocket = `${tb.dir}/hangup.sock`;
    const rude = createServer({ allowHalfOpen: true }, (s) => {
      s.on("data", () => {});
      s.on("end", () => s.destroy());
    });
    await new Promise<void>((r) => rude.listen(hangupSocket, r));
    try {
      const pod = await tb.pod("fasthang");
      const out = await callPlugin({
        plugin: "flatnet-cni",
        command: "ADD",
        hostNetns: tb.host,
        config: conf("1.0.0", 6, { agentSocket: hangupSocket }),
        containerId: "ctr-hang",
        netns: pod.path,
        ifname: "eth0",
      });
      assert.equal(out.code, 1);
      assert.deepEqual(out.json, {
        cniVersion: "1.0.0",
        code: 11,
        msg: `the flatnet agent at ${hangupSocket} closed the connection without answering`,
      });
    } finally {
      await new Promise((r) => rude.close(r));
    }
  });

  it("keeps serving a node whose netns was deleted and recreated under the same name", async () => {
    const node = `flatnet-t${tb.id}-renode`;
    await createNetns(node);
    const sock = `${tb.dir}/renode.sock`;
    const srv = await startCniServer({ socketPath: sock, hostNetns: node });
    try {
      const config = conf("1.1.0", 7, { agentSocket: sock });
      const p1 = await tb.pod("renode1");
      const call = (pod: { path: string }, id: string): PluginCall => ({
        plugin: "flatnet-cni",
        command: "ADD",
        hostNetns: node,
        config,
        containerId: id,
        netns: pod.path,
        ifname: "eth0",
      });
      await callOk(call(p1, "ctr-re1"));
      await deleteNetns(node);
      await createNetns(node);
      const p2 = await tb.pod("renode2");
      await callOk(call(p2, "ctr-re2"));
      assert.ok(await tb.link(node, hostVethName("ctr-re2", "eth0")), "the new namespace got the veth");
      assert.ok(await tb.link(node, "brfast7"), "and a new bridge");
    } finally {
      await srv.close();
      await deleteNetns(node);
    }
  });
});
