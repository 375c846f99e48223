/**
 * The workload host as a child process (host-main) driven by WorkloadHostClient over IPC:
 * the same API and events as in-process, errors that keep their kind, probes, and the
 * cleanup promises — shutdown leaves no process and no socket, and a host whose parent
 * dies (SIGKILL, as a crashed lab daemon) stops its pods by itself.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { WorkloadHostClient } from "../../src/lab/workload/host-client.js";
import type { ReadyEvent } from "../../src/lab/workload/types.js";
import { UserError } from "../../src/util/errors.js";
import { inNs, makeTestNode, pidsInNs, type TestNode, waitFor } from "./workload-fixture.js";

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("workload host over IPC", () => {
  let t: TestNode;

  before(async () => {
    t = await makeTestNode(2);
  });

  after(async () => {
    await t?.cleanup();
  });

  it("serves addPod, events, probe, listPods, errors, removePod and shutdown", async () => {
    const client = await WorkloadHostClient.start({ listenPollMs: 100 });
    const hostPid = client.pid!;
    try {
      const events: ReadyEvent[] = [];
      client.on("ready", (e) => events.push(e));
      const spec = t.podSpec(0, "ipc-pod", {
        terminationGracePeriodSeconds: 2,
        containers: [
          { name: "web", ports: [{ containerPort: 80 }, { containerPort: 81, protocol: "UDP" }] },
          { name: "sleeper", command: ["sleep", "1000"] },
        ],
      });
      const status = await client.addPod(spec);
      assert.equal(status.name, "ipc-pod");
      await waitFor("ready event", () => events.find((e) => e.uid === spec.uid && e.ready));

      await assert.rejects(client.addPod(spec), (err: Error) => {
        assert.ok(err instanceof UserError, `a UserError, got ${err.name}`);
        assert.match(err.message, /already hosted/);
        assert.equal(err.fix, "remove it first");
        return true;
      });

      const results = await client.probe([
        { fromNetnsPath: t.pods[1]!.path, toIp: spec.podIP, port: 80, protocol: "TCP", readHostname: true },
        { fromNetnsPath: t.pods[1]!.path, toIp: spec.podIP, port: 81, protocol: "UDP" },
      ]);
      assert.deepEqual(
        results.map((r) => r.answeredBy),
        ["ipc-pod", "ipc-pod"],
      );
      const pods = await client.listPods();
      assert.deepEqual(
        pods.map((p) => [p.name, p.ready, p.containerStatuses.map((c) => c.name)]),
        [["ipc-pod", true, ["web", "sleeper"]]],
      );
      assert.notEqual(await pidsInNs(t.pods[0]!.name), "");
      assert.equal(await client.removePod(spec.uid), true);
      assert.equal(await pidsInNs(t.pods[0]!.name), "");
      assert.equal((await inNs(t.pods[0]!.name, ["ss", "-Hlntu"])).trim(), "");

      await client.addPod(
        t.podSpec(1, "left-running", { containers: [{ name: "s", command: ["sleep", "1000"] }] }),
      );
      await client.shutdown();
      assert.equal(alive(hostPid), false, "host process exited");
      assert.equal(await pidsInNs(t.pods[1]!.name), "", "shutdown stopped the pod's processes");
      await assert.rejects(client.listPods(), /exited/);
    } finally {
      if (alive(hostPid)) process.kill(hostPid, "SIGKILL");
    }
  });

  it("stops its pods when its parent is killed with SIGKILL", async () => {
    const clientModule = fileURLToPath(new URL("../../src/lab/workload/host-client.js", import.meta.url));
    const spec = t.podSpec(0, "orphan", { containers: [{ name: "s", command: ["sleep", "1000"] }] });
    const script = `
      const { WorkloadHostClient } = await import(${JSON.stringify(clientModule)});
      const client = await WorkloadHostClient.start();
      await client.addPod(${JSON.stringify(spec)});
      console.log(client.pid);
      setInterval(() => {}, 1000);
    `;
    const parent = spawn(process.execPath, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let hostPid = 0;
    try {
      const [line] = (await once(parent.stdout!, "data")) as [Buffer];
      hostPid = Number(line.toString().trim());
      assert.ok(hostPid > 0);
      assert.notEqual(await pidsInNs(t.pods[0]!.name), "");
      parent.kill("SIGKILL");
      await waitFor(
        "the orphaned host to stop its pod",
        async () => (await pidsInNs(t.pods[0]!.name)) === "",
      );
      await waitFor("the orphaned host to exit", () => !alive(hostPid));
    } finally {
      if (parent.exitCode === null) parent.kill("SIGKILL");
      if (hostPid && alive(hostPid)) process.kill(hostPid, "SIGKILL");
    }
  });
});
