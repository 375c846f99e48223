/**
 * Concurrent ADDs and DELs on one node, as a runtime starting many pods at once does: through
 * the standalone plugin (separate processes racing to create the bridge and allocate) and
 * through the resident agent (one process, concurrent requests). Every pod ends up wired with
 * a distinct address; every DEL leaves nothing behind.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type CniServer, startCniServer } from "../../src/cni/agent-server.js";
import { hostVethName } from "../../src/cni/names.js";
import { allocatedIps, CniTestbed, callOk } from "../helpers/cni.js";

const PODS = 8;

describe("concurrent CNI calls on one node", () => {
  let tb: CniTestbed;
  let server: CniServer;
  before(async () => {
    tb = await CniTestbed.create();
    server = await startCniServer({ socketPath: `${tb.dir}/cni.sock`, hostNetns: tb.host });
  });
  after(async () => {
    await server?.close();
    await tb?.cleanup();
  });

  for (const mode of ["standalone", "agent"] as const) {
    it(`${PODS} simultaneous ADDs then DELs (${mode})`, async () => {
      const n = mode === "agent" ? 1 : 0;
      const config = {
        cniVersion: "1.1.0",
        name: `conc${n}`,
        type: "flatnet-cni",
        bridge: `brconc${n}`,
        ...(mode === "agent" ? { agentSocket: server.socketPath } : {}),
        ipam: { type: "flatnet-ipam", dataDir: `${tb.dir}/ipam`, ranges: [[{ subnet: `10.6${n}.0.0/24` }]] },
      };
      const pods: Array<{ name: string; path: string }> = [];
      for (let i = 0; i < PODS; i++) pods.push(await tb.pod(`c${n}p${i}`));
      const call = (i: number, command: "ADD" | "DEL") =>
        callOk({
          plugin: "flatnet-cni",
          command,
          hostNetns: tb.host,
          config,
          containerId: `ctr-conc${n}-${i}`,
          netns: pods[i]!.path,
          ifname: "eth0",
        });
      const results = await Promise.all(pods.map((_, i) => call(i, "ADD")));
      const ips = results.map((r) => r.json.ips[0].address.split("/")[0] as string);
      assert.equal(new Set(ips).size, PODS, `distinct addresses: ${ips.join(", ")}`);
      assert.deepEqual(allocatedIps(config.ipam.dataDir, config.name), [...ips].sort());
      for (const [i, pod] of pods.entries()) {
        assert.ok((await tb.link(pod.name, "eth0"))?.addr_info?.some((a) => a.local === ips[i]));
        assert.equal(
          (await tb.link(tb.host, hostVethName(`ctr-conc${n}-${i}`, "eth0")))?.master,
          config.bridge,
        );
      }
      await Promise.all(pods.map((_, i) => call(i, "DEL")));
      assert.deepEqual(allocatedIps(config.ipam.dataDir, config.name), []);
      const ports = (await tb.links()).filter((l) => l.master === config.bridge);
      assert.deepEqual(ports, []);
    });
  }
});
