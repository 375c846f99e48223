/**
 * Containers with a command: real processes inside the pod's namespace with the pod name
 * as hostname, the Kubernetes environment rules, logs in the given directory, restarts per
 * restartPolicy, containers of one pod sharing localhost, and removal that leaves nothing
 * running (also a process that ignores SIGTERM, and what a container forked).
 */
import assert from "node:assert/strict";
import { readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { WorkloadHost } from "../../src/lab/workload/host.js";
import type { WorkloadPodSpec } from "../../src/lab/workload/types.js";
import { makeTestNode, pidsInNs, type TestNode, waitFor } from "./workload-fixture.js";

describe("workload command containers", () => {
  let t: TestNode;
  let host: WorkloadHost;

  before(async () => {
    t = await makeTestNode(3);
    host = new WorkloadHost({ backoff: { initialMs: 100, maxMs: 400, resetAfterMs: 60_000 } });
  });

  after(async () => {
    await host?.shutdown();
    await t?.cleanup();
  });

  const logOf = (spec: WorkloadPodSpec, container: string) => {
    try {
      return readFileSync(join(spec.logsDir, `${container}.log`), "utf8");
    } catch {
      return "";
    }
  };

  it("runs the command in the pod namespace with the pod name as hostname, env and workingDir", async () => {
    const spec = t.podSpec(0, "cmd-pod", {
      containers: [
        {
          name: "main",
          command: ["sh", "-c"],
          args: ['echo "host=$(hostname) pwd=$PWD greet=$GREETING ip=$MY_IP arg=$(POD)"; exec sleep 1000'],
          env: [
            { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            { name: "GREETING", value: "hi-$(POD)" },
            { name: "MY_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
          ],
          workingDir: "/tmp",
        },
      ],
    });
    const status = await host.addPod(spec);
    assert.equal(status.phase, "Running");
    assert.ok(status.containerStatuses[0]!.state.running);
    const line = await waitFor("the container's log line", () => logOf(spec, "main").trim());
    assert.equal(line, "host=cmd-pod pwd=/tmp greet=hi-cmd-pod ip=10.250.0.2 arg=cmd-pod");
    const pids = (await pidsInNs(t.pods[0]!.name)).split("\n");
    assert.equal(pids.length, 1, `one process in the pod: ${pids}`);
    assert.equal(readlinkSync(`/proc/${pids[0]}/ns/net`), `net:[${statSync(t.pods[0]!.path).ino}]`);
    assert.match(readFileSync(`/proc/${pids[0]}/cmdline`, "utf8"), /^sleep\x001000/);
    assert.equal(await host.removePod(spec.uid), true);
    assert.equal(await pidsInNs(t.pods[0]!.name), "", "removePod leaves no process in the pod");
  });

  it("lets containers of one pod reach each other on localhost", async () => {
    const spec = t.podSpec(1, "duo", {
      containers: [
        { name: "server", ports: [{ containerPort: 8080 }] },
        {
          name: "client",
          command: ["sh", "-c", "curl -sS -m 2 http://127.0.0.1:8080/hostname; echo; exec sleep 1000"],
        },
        {
          name: "py",
          command: ["python3", "-m", "http.server", "8000", "--bind", "127.0.0.1"],
          ports: [{ containerPort: 8000 }],
        },
        {
          name: "pyclient",
          command: [
            "sh",
            "-c",
            "until curl -s -o /dev/null http://127.0.0.1:8000/; do sleep 0.1; done; echo reached; exec sleep 1000",
          ],
        },
      ],
    });
    await host.addPod(spec);
    await waitFor("client log", () => logOf(spec, "client").includes("duo"));
    await waitFor("pyclient log", () => logOf(spec, "pyclient").includes("reached"));
    await host.removePod(spec.uid);
    assert.equal(await pidsInNs(t.pods[1]!.name), "");
  });

  it("restarts per restartPolicy and reports container states", async () => {
    const failing = (policy: WorkloadPodSpec["restartPolicy"], name: string, code: number) =>
      t.podSpec(2, name, {
        uid: `${t.id}-${name}`,
        restartPolicy: policy,
        containers: [{ name: "c", command: ["sh", "-c", `echo run; exit ${code}`] }],
      });
    const statusOf = async (uid: string) => (await host.listPods()).find((p) => p.uid === uid)!;

    const onFailure = failing("OnFailure", "onfailure", 3);
    const changes: string[] = [];
    host.on("containerStateChanged", (e) => {
      if (e.uid === onFailure.uid) changes.push(Object.keys(e.container.state)[0]!);
    });
    await host.addPod(onFailure);
    const restarted = await waitFor("two restarts", async () => {
      const s = await statusOf(onFailure.uid);
      return s.containerStatuses[0]!.restartCount >= 2 ? s : undefined;
    });
    assert.equal(restarted.containerStatuses[0]!.lastState.terminated?.exitCode, 3);
    assert.equal(restarted.containerStatuses[0]!.lastState.terminated?.reason, "Error");
    assert.equal(restarted.phase, "Running");
    assert.ok(changes.includes("waiting") && changes.includes("running") && changes.includes("terminated"));
    await waitFor("every run appending to the log", () => logOf(onFailure, "c").split("run").length - 1 >= 3);
    await host.removePod(onFailure.uid);

    const never = failing("Never", "never", 4);
    await host.addPod(never);
    const failed = await waitFor("phase Failed", async () => {
      const s = await statusOf(never.uid);
      return s.phase === "Failed" ? s : undefined;
    });
    assert.equal(failed.containerStatuses[0]!.state.terminated?.exitCode, 4);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await statusOf(never.uid)).containerStatuses[0]!.restartCount, 0);
    await host.removePod(never.uid);

    const done = failing("OnFailure", "done", 0);
    await host.addPod(done);
    const succeeded = await waitFor("phase Succeeded", async () => {
      const s = await statusOf(done.uid);
      return s.phase === "Succeeded" ? s : undefined;
    });
    assert.equal(succeeded.containerStatuses[0]!.state.terminated?.reason, "Completed");
    await host.removePod(done.uid);

    const always = failing("Always", "always", 0);
    await host.addPod(always);
    await waitFor("a restart of a completed container under Always", async () => {
      const s = await statusOf(always.uid);
      return s.containerStatuses[0]!.restartCount >= 1;
    });
    await host.removePod(always.uid);
  });

  it("kills a container that ignores SIGTERM after the grace period, and its forked children", async () => {
    const spec = t.podSpec(2, "stubborn", {
      uid: `${t.id}-stubborn`,
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: "c", command: ["sh", "-c", "trap '' TERM; sleep 1000 & sleep 1000 & wait; wait"] },
      ],
    });
    await host.addPod(spec);
    await waitFor("three processes", async () => (await pidsInNs(t.pods[2]!.name)).split("\n").length === 3);
    const started = Date.now();
    await host.removePod(spec.uid);
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 3000, `removal waited the grace period (${took} ms)`);
    assert.equal(await pidsInNs(t.pods[2]!.name), "");
  });

  it("reports a container whose env cannot be built as CreateContainerConfigError", async () => {
    const spec = t.podSpec(2, "badenv", {
      uid: `${t.id}-badenv`,
      containers: [
        {
          name: "c",
          command: ["true"],
          env: [{ name: "S", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }],
        },
      ],
    });
    const status = await host.addPod(spec);
    assert.equal(status.phase, "Pending");
    assert.equal(status.containerStatuses[0]!.state.waiting?.reason, "CreateContainerConfigError");
    assert.match(status.containerStatuses[0]!.state.waiting?.message ?? "", /env S/);
    await host.removePod(spec.uid);
  });
});
