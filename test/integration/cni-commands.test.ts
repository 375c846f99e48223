/**
 * flatnet-cni with its built-in flatnet-ipam, exec'd as a runtime does (bin/flatnet-cni inside
 * a node netns, no agent: the standalone path), at every supported spec version: ADD wires the
 * pod as configured, CHECK passes on what ADD made and names drift, GC and STATUS (1.1.0)
 * work and are refused at older versions, DEL is idempotent and works without the pod netns.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { hostVethName } from "../../src/cni/names.js";
import { run } from "../../src/kernel/exec.js";
import {
  allocatedIps,
  allocationOwner,
  CniTestbed,
  callOk,
  callPlugin,
  type PluginCall,
} from "../helpers/cni.js";

const VERSIONS = ["0.4.0", "1.0.0", "1.1.0"] as const;

describe("flatnet-cni commands (standalone)", () => {
  let tb: CniTestbed;
  before(async () => {
    tb = await CniTestbed.create();
  });
  after(async () => {
    await tb?.cleanup();
  });

  const config = (version: string, subnet: string, extra: object = {}) => ({
    cniVersion: version,
    name: `net${version.replace(/\./g, "")}`,
    type: "flatnet-cni",
    bridge: `br${version.replace(/\./g, "")}`,
    mtu: 1400,
    ipam: {
      type: "flatnet-ipam",
      dataDir: `${tb.dir}/ipam`,
      ranges: [[{ subnet }]],
      routes: [{ dst: "10.96.0.0/12" }],
    },
    ...extra,
  });

  for (const [i, version] of VERSIONS.entries()) {
    describe(`cniVersion ${version}`, () => {
      const subnet = `10.${70 + i}.0.0/24`;
      const gw = `10.${70 + i}.0.1`;
      let conf: ReturnType<typeof config>;
      let pod: { name: string; path: string };
      let addResult: Record<string, unknown> & { ips: Array<{ address: string; version?: string }> };
      const call = (command: PluginCall["command"], extra: Partial<PluginCall> = {}): PluginCall => ({
        plugin: "flatnet-cni",
        command,
        hostNetns: tb.host,
        config: conf,
        containerId: `ctr-${i}-a`,
        netns: pod.path,
        ifname: "eth0",
        ...extra,
      });

      before(async () => {
        conf = config(version, subnet);
        pod = await tb.pod(`v${i}a`);
      });

      it("ADD wires the pod and prints a result of that version", async () => {
        const out = await callOk(call("ADD"));
        addResult = out.json;
        assert.equal(out.json.cniVersion, version);
        const veth = hostVethName(`ctr-${i}-a`, "eth0");
        assert.deepEqual(
          out.json.interfaces.map((x: { name: string }) => x.name),
          [conf.bridge, veth, "eth0"],
        );
        assert.equal(out.json.interfaces[2].sandbox, pod.path);
        const [ip] = out.json.ips;
        assert.equal(ip.address, `10.${70 + i}.0.2/24`);
        assert.equal(ip.gateway, gw);
        assert.equal(ip.interface, 2);
        assert.equal(ip.version, version === "0.4.0" ? "4" : undefined);
        assert.deepEqual(out.json.routes, [
          { dst: "0.0.0.0/0", gw },
          { dst: "10.96.0.0/12", gw },
        ]);

        const eth0 = await tb.link(pod.name, "eth0");
        assert.ok(eth0, "eth0 exists in the pod");
        assert.equal(eth0.mtu, 1400);
        assert.equal(eth0.address, out.json.interfaces[2].mac);
        assert.ok(eth0.flags.includes("UP"));
        assert.ok(eth0.addr_info?.some((a) => a.local === `10.${70 + i}.0.2` && a.prefixlen === 24));
        assert.ok((await tb.link(pod.name, "lo"))?.flags.includes("UP"), "loopback is up");
        const routes = await tb.routes(pod.name);
        assert.ok(routes.some((r) => r.dst === "default" && r.gateway === gw));
        assert.ok(routes.some((r) => r.dst === "10.96.0.0/12" && r.gateway === gw));

        const host = await tb.link(tb.host, veth);
        assert.equal(host?.master, conf.bridge);
        assert.equal(host?.mtu, 1400);
        assert.equal(host?.linkinfo?.info_slave_data?.hairpin, true, "hairpin on the host-side port");
        const bridge = await tb.link(tb.host, conf.bridge);
        assert.equal(bridge?.linkinfo?.info_kind, "bridge");
        assert.equal(bridge?.mtu, 1400);
        assert.ok(bridge?.flags.includes("UP"));
        assert.ok(
          bridge?.addr_info?.some((a) => a.local === gw && a.prefixlen === 24),
          "gateway on the bridge",
        );
        const forwarding = await run(["cat", "/proc/sys/net/ipv4/ip_forward"], { netns: tb.host });
        assert.equal(forwarding.trim(), "1");

        assert.deepEqual(allocatedIps(conf.ipam.dataDir, conf.name), [`10.${70 + i}.0.2`]);
        assert.equal(allocationOwner(conf.ipam.dataDir, conf.name, `10.${70 + i}.0.2`), `ctr-${i}-a`);
      });

      it("the pod reaches its gateway", async () => {
        await run(["ping", "-c", "1", "-W", "2", gw], { netns: pod.name });
      });

      it("CHECK passes on what ADD made", async () => {
        await callOk(call("CHECK", { config: { ...conf, prevResult: addResult } }));
      });

      if (version === "1.1.0") {
        it("STATUS reports the plugin available", async () => {
          const out = await callOk(
            call("STATUS", { containerId: undefined, netns: undefined, ifname: undefined }),
          );
          assert.equal(out.stdout, "");
        });

        it("GC releases the allocations and veths not in cni.dev/valid-attachments", async () => {
          const other = await tb.pod(`v${i}b`);
          await callOk(call("ADD", { containerId: `ctr-${i}-b`, netns: other.path }));
          assert.equal(allocatedIps(conf.ipam.dataDir, conf.name).length, 2);
          await callOk(
            call("GC", {
              containerId: undefined,
              netns: undefined,
              ifname: undefined,
              config: {
                ...conf,
                "cni.dev/valid-attachments": [{ containerID: `ctr-${i}-a`, ifname: "eth0" }],
              },
            }),
          );
          assert.deepEqual(allocatedIps(conf.ipam.dataDir, conf.name), [`10.${70 + i}.0.2`]);
          assert.equal(await tb.link(tb.host, hostVethName(`ctr-${i}-b`, "eth0")), undefined);
          assert.equal(await tb.link(other.name, "eth0"), undefined);
          assert.ok(
            await tb.link(tb.host, hostVethName(`ctr-${i}-a`, "eth0")),
            "the valid pod keeps its veth",
          );
        });
      } else {
        it("GC and STATUS do not exist at this version (code 1)", async () => {
          for (const command of ["GC", "STATUS"] as const) {
            const out = await callPlugin(
              call(command, { config: { ...conf, "cni.dev/valid-attachments": [] } }),
            );
            assert.equal(out.code, 1);
            assert.equal(out.json.code, 1);
            assert.match(out.json.msg, new RegExp(`${command} is defined from CNI spec 1.1.0`));
          }
          assert.equal(allocatedIps(conf.ipam.dataDir, conf.name).length, 1);
        });
      }

      it("VERSION lists the supported versions", async () => {
        const out = await callOk(call("VERSION", { config: { cniVersion: version } }));
        assert.deepEqual(out.json.supportedVersions, ["0.4.0", "1.0.0", "1.1.0"]);
      });

      it("DEL removes the veth and the allocation, and is idempotent", async () => {
        await callOk(call("DEL", { config: { ...conf, prevResult: addResult } }));
        assert.equal(await tb.link(tb.host, hostVethName(`ctr-${i}-a`, "eth0")), undefined);
        assert.equal(await tb.link(pod.name, "eth0"), undefined);
        assert.deepEqual(allocatedIps(conf.ipam.dataDir, conf.name), []);
        await callOk(call("DEL"));
        await callOk(call("DEL", { netns: undefined }));
      });
    });
  }

  describe("drift, namespaces and options", () => {
    const conf = () => config("1.1.0", "10.79.0.0/24", { name: "drift", bridge: "brdrift" });
    const call = (
      command: PluginCall["command"],
      pod: { path: string },
      extra: Partial<PluginCall> = {},
    ) => ({
      plugin: "flatnet-cni",
      command,
      hostNetns: tb.host,
      config: conf(),
      containerId: "ctr-drift",
      netns: pod.path,
      ifname: "eth0",
      ...extra,
    });

    it("CHECK names a missing address, a missing route and a missing veth", async () => {
      const pod = await tb.pod("drift");
      const added = await callOk(call("ADD", pod));
      const check = () => callPlugin(call("CHECK", pod, { config: { ...conf(), prevResult: added.json } }));
      await run(["ip", "route", "del", "10.96.0.0/12"], { netns: pod.name });
      let out = await check();
      assert.equal(out.code, 1);
      assert.equal(out.json.code, 103);
      assert.match(out.json.msg, /route 10\.96\.0\.0\/12 via 10\.79\.0\.1 is missing/);
      await run(["ip", "addr", "flush", "dev", "eth0"], { netns: pod.name });
      out = await check();
      assert.match(out.json.msg, /address 10\.79\.0\.2\/24 is missing from eth0/);
      await run(["ip", "link", "del", hostVethName("ctr-drift", "eth0")], { netns: tb.host });
      out = await check();
      assert.match(out.json.msg, /interface eth0 is missing from the container/);
      assert.match(out.json.msg, /host-side veth fnet[0-9a-f]{11} is missing/);
      await callOk(call("DEL", pod));
      assert.deepEqual(allocatedIps(conf().ipam.dataDir, "drift"), []);
    });

    it("DEL succeeds after the pod's netns is gone, and releases the address", async () => {
      const pod = await tb.pod("gone");
      await callOk(call("ADD", pod, { containerId: "ctr-gone" }));
      await run(["ip", "netns", "delete", pod.name]);
      await callOk(call("DEL", pod, { containerId: "ctr-gone" }));
      assert.deepEqual(allocatedIps(conf().ipam.dataDir, "drift"), []);
      assert.equal(await tb.link(tb.host, hostVethName("ctr-gone", "eth0")), undefined);
    });

    it("accepts /proc/PID/ns/net as CNI_NETNS (the path a runtime without ip netns passes)", async () => {
      const pod = await tb.pod("procns");
      const holder = spawn("ip", ["netns", "exec", pod.name, "sleep", "60"], { stdio: "ignore" });
      try {
        // ip netns exec execs sleep in place: the child's pid is the namespace holder.
        let nsPath = "";
        for (let t = 0; t < 50 && !nsPath; t++) {
          const comm = await run(["cat", `/proc/${holder.pid}/comm`]).catch(() => "");
          if (comm.trim() === "sleep") nsPath = `/proc/${holder.pid}/ns/net`;
          else await new Promise((r) => setTimeout(r, 20));
        }
        assert.ok(nsPath, "sleep started in the pod netns");
        const out = await callOk(call("ADD", { path: nsPath }, { containerId: "ctr-proc" }));
        assert.equal(out.json.interfaces[2].sandbox, nsPath);
        const ip = out.json.ips[0].address.split("/")[0];
        assert.ok((await tb.link(pod.name, "eth0"))?.addr_info?.some((a) => a.local === ip));
        await callOk(
          call(
            "CHECK",
            { path: nsPath },
            { containerId: "ctr-proc", config: { ...conf(), prevResult: out.json } },
          ),
        );
        await callOk(call("DEL", { path: nsPath }, { containerId: "ctr-proc" }));
        assert.equal(await tb.link(pod.name, "eth0"), undefined);
      } finally {
        holder.kill();
      }
    });

    it("dual-stack: one address per range set, a default route per family", async () => {
      const pod = await tb.pod("dual");
      const dual = {
        ...conf(),
        name: "dual",
        bridge: "brdual",
        ipam: {
          type: "flatnet-ipam",
          dataDir: `${tb.dir}/ipam`,
          ranges: [[{ subnet: "10.78.0.0/24" }], [{ subnet: "fd00:10:78::/64" }]],
        },
      };
      const out = await callOk(call("ADD", pod, { containerId: "ctr-dual", config: dual }));
      assert.deepEqual(
        out.json.ips.map((ip: { address: string }) => ip.address),
        ["10.78.0.2/24", "fd00:10:78::2/64"],
      );
      const routes = await tb.routes(pod.name);
      assert.ok(routes.some((r) => r.dst === "default" && r.gateway === "fd00:10:78::1"));
      assert.ok((await tb.link(tb.host, "brdual"))?.addr_info?.some((a) => a.local === "fd00:10:78::1"));
      await run(["ping", "-6", "-c", "1", "-W", "2", "fd00:10:78::1"], { netns: pod.name });
      await callOk(
        call("CHECK", pod, { containerId: "ctr-dual", config: { ...dual, prevResult: out.json } }),
      );
      await callOk(call("DEL", pod, { containerId: "ctr-dual", config: dual }));
      assert.deepEqual(allocatedIps(`${tb.dir}/ipam`, "dual"), []);
    });

    it("isDefaultGateway false: no default route, gateway still on the bridge; hairpinMode false", async () => {
      const pod = await tb.pod("nodefault");
      const c = { ...conf(), isDefaultGateway: false, hairpinMode: false };
      const out = await callOk(call("ADD", pod, { containerId: "ctr-nodef", config: c }));
      assert.deepEqual(out.json.routes, [{ dst: "10.96.0.0/12", gw: "10.79.0.1" }]);
      assert.ok(!(await tb.routes(pod.name)).some((r) => r.dst === "default"));
      const veth = await tb.link(tb.host, hostVethName("ctr-nodef", "eth0"));
      assert.equal(veth?.linkinfo?.info_slave_data?.hairpin, false);
      await callOk(call("DEL", pod, { containerId: "ctr-nodef", config: c }));
    });
  });
});
