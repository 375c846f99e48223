/**
 * flatnet's plugins with Debian's reference CNI plugins (containernetworking-plugins, spec
 * <= 1.0.0), every plugin exec'd as a runtime does, inside a node netns, CNI_PATH = flatnet's
 * bin + /usr/lib/cni:
 *   - flatnet-cni delegating IPAM to the reference host-local (also from a 1.1.0 config: the
 *     delegation negotiates 1.0.0);
 *   - the reference bridge with flatnet-ipam as its IPAM plugin;
 *   - flatnet-cni chained with portmap and tuning in one conflist (prevResult threaded through
 *     as libcni does; portmap's DNAT rules checked in the node's iptables);
 *   - a pod wired by flatnet-cni and one wired by the reference bridge on one bridge, sharing
 *     one IPAM directory, talk to each other (ping and TCP).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { run } from "../../src/kernel/exec.js";
import { allocatedIps, CniTestbed, callOk, type PluginCall } from "../helpers/cni.js";

type Conf = Record<string, unknown> & { type: string };

interface ConfList {
  cniVersion: string;
  name: string;
  plugins: Conf[];
}

/** libcni's per-plugin config: list name and version, prevResult, runtimeConfig by capability. */
function pluginConf(
  list: ConfList,
  p: Conf,
  prevResult: unknown,
  runtimeConfig: Record<string, unknown>,
): Conf {
  const conf: Conf = { ...p, cniVersion: list.cniVersion, name: list.name };
  if (prevResult !== undefined) conf.prevResult = prevResult;
  const caps = (p.capabilities ?? {}) as Record<string, boolean>;
  const rc = Object.fromEntries(Object.entries(runtimeConfig).filter(([k]) => caps[k]));
  if (Object.keys(rc).length) conf.runtimeConfig = rc;
  return conf;
}

describe("interop with the reference CNI plugins", () => {
  let tb: CniTestbed;
  before(async () => {
    tb = await CniTestbed.create();
  });
  after(async () => {
    await tb?.cleanup();
  });

  const base = (pod: { path: string }, containerId: string) => ({
    hostNetns: tb.host,
    containerId,
    netns: pod.path,
    ifname: "eth0",
  });

  for (const version of ["0.4.0", "1.1.0"]) {
    it(`flatnet-cni with the reference host-local (config ${version})`, async () => {
      const pod = await tb.pod(`hl${version.replace(/\./g, "")}`);
      const name = `hl${version.replace(/\./g, "")}`;
      const config = {
        cniVersion: version,
        name,
        type: "flatnet-cni",
        bridge: `br${name}`,
        ipam: { type: "host-local", dataDir: `${tb.dir}/hostlocal`, ranges: [[{ subnet: "10.84.0.0/24" }]] },
      };
      const call = (command: PluginCall["command"], extra: Partial<PluginCall> = {}): PluginCall => ({
        plugin: "flatnet-cni",
        command,
        config,
        ...base(pod, `ctr-${name}`),
        ...extra,
      });
      const added = await callOk(call("ADD"));
      assert.equal(added.json.cniVersion, version);
      assert.equal(added.json.ips[0].address, "10.84.0.2/24");
      assert.equal(added.json.ips[0].gateway, "10.84.0.1");
      assert.deepEqual(allocatedIps(`${tb.dir}/hostlocal`, name), ["10.84.0.2"], "host-local recorded it");
      assert.ok((await tb.link(pod.name, "eth0"))?.addr_info?.some((a) => a.local === "10.84.0.2"));
      await callOk(call("CHECK", { config: { ...config, prevResult: added.json } }));
      await callOk(call("DEL"));
      assert.deepEqual(allocatedIps(`${tb.dir}/hostlocal`, name), [], "host-local released it");
      assert.equal(await tb.link(pod.name, "eth0"), undefined);
    });
  }

  it("the reference bridge with flatnet-ipam", async () => {
    const pod = await tb.pod("refbr");
    const dataDir = `${tb.dir}/flatnet-ipam`;
    const config = {
      cniVersion: "1.0.0",
      name: "refbr",
      type: "bridge",
      bridge: "brref",
      isGateway: true,
      ipam: {
        type: "flatnet-ipam",
        dataDir,
        ranges: [[{ subnet: "10.85.0.0/24" }]],
        routes: [{ dst: "0.0.0.0/0" }],
      },
    };
    const call = (command: PluginCall["command"], extra: Partial<PluginCall> = {}): PluginCall => ({
      plugin: "bridge",
      command,
      config,
      ...base(pod, "ctr-refbr"),
      ...extra,
    });
    const added = await callOk(call("ADD"));
    assert.equal(added.json.ips[0].address, "10.85.0.2/24");
    assert.equal(added.json.ips[0].gateway, "10.85.0.1");
    assert.deepEqual(allocatedIps(dataDir, "refbr"), ["10.85.0.2"]);
    assert.ok((await tb.routes(pod.name)).some((r) => r.dst === "default" && r.gateway === "10.85.0.1"));
    await callOk(call("CHECK", { config: { ...config, prevResult: added.json } }));
    await callOk(call("DEL"));
    assert.deepEqual(allocatedIps(dataDir, "refbr"), []);
  });

  it("flatnet-cni chained with portmap and tuning in one conflist", async () => {
    const pod = await tb.pod("chain");
    const list: ConfList = {
      cniVersion: "1.0.0",
      name: "chain",
      plugins: [
        {
          type: "flatnet-cni",
          bridge: "brchain",
          ipam: { type: "flatnet-ipam", dataDir: `${tb.dir}/chain`, ranges: [[{ subnet: "10.86.0.0/24" }]] },
        },
        { type: "portmap", capabilities: { portMappings: true }, snat: true },
        {
          type: "tuning",
          mac: "0a:58:0a:56:00:99",
          sysctl: { "net.ipv4.conf.eth0.arp_ignore": "1" },
          dataDir: `${tb.dir}/tuning`,
        },
      ],
    };
    const runtimeConfig = { portMappings: [{ hostPort: 18080, containerPort: 80, protocol: "tcp" }] };
    const exec = (p: Conf, command: PluginCall["command"], prev: unknown) =>
      callOk({
        plugin: p.type,
        command,
        config: pluginConf(list, p, prev, runtimeConfig),
        ...base(pod, "ctr-chain"),
      });

    let result: unknown;
    for (const p of list.plugins) result = (await exec(p, "ADD", result)).json;
    const final = result as {
      ips: Array<{ address: string; interface: number }>;
      interfaces: Array<{ name: string; mac: string }>;
    };
    assert.equal(final.ips[0]!.address, "10.86.0.2/24", "flatnet's address survives the chain");
    const podIf = final.interfaces[final.ips[0]!.interface]!;
    assert.equal(podIf.name, "eth0");
    assert.equal(podIf.mac, "0a:58:0a:56:00:99", "tuning's MAC is in the final result");
    assert.equal((await tb.link(pod.name, "eth0"))?.address, "0a:58:0a:56:00:99");
    const arpIgnore = await run(["cat", "/proc/sys/net/ipv4/conf/eth0/arp_ignore"], { netns: pod.name });
    assert.equal(arpIgnore.trim(), "1", "tuning's sysctl applied in the pod");
    const nat = await run(["iptables", "-w", "-t", "nat", "-S"], { netns: tb.host });
    assert.match(
      nat,
      /--dport 18080 .*-j DNAT --to-destination 10\.86\.0\.2:80/,
      "portmap's DNAT rule in the node",
    );

    // CHECK through the chain. Debian's portmap 1.1.1 is left out: its CHECK looks for an
    // ip6tables chain on IPv4-only pods whenever ip6tables works, and fails ("could not check
    // ipv6 dnat"); its IPv4 rule is asserted above instead.
    for (const p of list.plugins.filter((x) => x.type !== "portmap")) await exec(p, "CHECK", final);
    for (const p of [...list.plugins].reverse()) await exec(p, "DEL", final);
    const natAfter = await run(["iptables", "-w", "-t", "nat", "-S"], { netns: tb.host });
    assert.doesNotMatch(natAfter, /18080/, "portmap removed its rules");
    assert.equal(await tb.link(pod.name, "eth0"), undefined);
    assert.deepEqual(allocatedIps(`${tb.dir}/chain`, "chain"), []);
  });

  it("a pod wired by flatnet-cni and one wired by the reference bridge talk over one bridge", async () => {
    const ours = await tb.pod("ours");
    const theirs = await tb.pod("theirs");
    const dataDir = `${tb.dir}/shared`;
    const ipam = (type: string) => ({ type, dataDir, ranges: [[{ subnet: "10.87.0.0/24" }]] });
    const refConf = {
      cniVersion: "1.0.0",
      name: "shared",
      type: "bridge",
      bridge: "brshare",
      isGateway: true,
      isDefaultGateway: true,
      hairpinMode: true,
      ipam: ipam("host-local"),
    };
    const ourConf = {
      cniVersion: "1.1.0",
      name: "shared",
      type: "flatnet-cni",
      bridge: "brshare",
      ipam: ipam("flatnet-ipam"),
    };
    const b = await callOk({
      plugin: "bridge",
      command: "ADD",
      config: refConf,
      ...base(theirs, "ctr-theirs"),
    });
    const a = await callOk({
      plugin: "flatnet-cni",
      command: "ADD",
      config: ourConf,
      ...base(ours, "ctr-ours"),
    });
    const ipA = a.json.ips[0].address.split("/")[0] as string;
    const ipB = b.json.ips[0].address.split("/")[0] as string;
    assert.notEqual(ipA, ipB, "one IPAM directory, two allocators, no duplicate");
    assert.deepEqual(allocatedIps(dataDir, "shared"), [ipA, ipB].sort());

    await run(["ping", "-c", "2", "-W", "2", ipB], { netns: ours.name });
    await run(["ping", "-c", "2", "-W", "2", ipA], { netns: theirs.name });

    const server = spawn("ip", ["netns", "exec", theirs.name, "nc", "-l", "-N", "5555"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let received = "";
    server.stdout.on("data", (d) => {
      received += d;
    });
    try {
      let sent = false;
      for (let t = 0; t < 50 && !sent; t++) {
        sent = await run(["sh", "-c", `echo hello-from-flatnet | nc -N -w 2 ${ipB} 5555`], {
          netns: ours.name,
        }).then(
          () => true,
          () => false,
        );
        if (!sent) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(sent, "TCP connection from the flatnet pod to the reference pod");
      await new Promise((r) => (server.exitCode === null ? server.once("close", r) : r(undefined)));
      assert.equal(received.trim(), "hello-from-flatnet");
    } finally {
      server.kill();
    }

    await callOk({ plugin: "flatnet-cni", command: "DEL", config: ourConf, ...base(ours, "ctr-ours") });
    await callOk({ plugin: "bridge", command: "DEL", config: refConf, ...base(theirs, "ctr-theirs") });
    assert.deepEqual(allocatedIps(dataDir, "shared"), []);
  });
});
