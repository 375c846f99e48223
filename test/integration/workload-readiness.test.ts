/**
 * Readiness as the kubelet computes it: httpGet (status 200-399, named ports), tcpSocket
 * and exec probes with their timing fields, connected from the node's namespace to the pod
 * IP; and flatnet's rule for probe-less process containers (ready once the ports listen).
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { WorkloadHost } from "../../src/lab/workload/host.js";
import type { ReadyEvent, WorkloadPodSpec } from "../../src/lab/workload/types.js";
import { makeTestNode, type TestNode, waitFor } from "./workload-fixture.js";

describe("workload readiness", () => {
  let t: TestNode;
  let host: WorkloadHost;
  const events: ReadyEvent[] = [];

  before(async () => {
    t = await makeTestNode(4);
    host = new WorkloadHost({ listenPollMs: 100 });
    host.on("ready", (e) => events.push(e));
  });

  after(async () => {
    await host?.shutdown();
    await t?.cleanup();
  });

  /** Add the pods, run fn, and remove them whatever happens. */
  const withPods = async (specs: WorkloadPodSpec[], fn: () => Promise<void>) => {
    try {
      for (const spec of specs) await host.addPod(spec);
      await fn();
    } finally {
      for (const spec of specs) await host.removePod(spec.uid);
    }
  };
  const isReady = async (uid: string) => (await host.listPods()).find((p) => p.uid === uid)?.ready;
  const readyEvents = (uid: string) => events.filter((e) => e.uid === uid).map((e) => e.ready);

  it("httpGet: a 200 makes the pod ready, a 500 keeps it unready; named ports resolve", async () => {
    const probe = (path: string) => ({ httpGet: { path, port: "http" }, periodSeconds: 1 });
    const good = t.podSpec(0, "http-good", {
      containers: [
        { name: "web", ports: [{ containerPort: 80, name: "http" }], readinessProbe: probe("/healthz") },
      ],
    });
    const bad = t.podSpec(1, "http-bad", {
      containers: [
        {
          name: "web",
          ports: [{ containerPort: 80, name: "http" }],
          readinessProbe: probe("/status?code=500"),
        },
      ],
    });
    await withPods([good, bad], async () => {
      await waitFor("http-good ready", () => isReady(good.uid));
      assert.deepEqual(readyEvents(good.uid), [true]);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(await isReady(bad.uid), false);
      assert.deepEqual(readyEvents(bad.uid), []);
    });
  });

  it("httpGet probes come from the node's namespace", async () => {
    const response = join(t.logsRoot, "http-204");
    writeFileSync(response, "HTTP/1.0 204 No Content\r\n\r\n");
    const spec = t.podSpec(0, "socat-probed", {
      containers: [
        {
          name: "socat",
          command: ["socat", "-d", "-d", "TCP-LISTEN:8000,fork,reuseaddr", `EXEC:cat ${response}`],
          ports: [{ containerPort: 8000 }],
          readinessProbe: { httpGet: { path: "/", port: 8000 }, periodSeconds: 1 },
        },
      ],
    });
    await withPods([spec], async () => {
      await waitFor("socat-probed ready", () => isReady(spec.uid));
      const log = readFileSync(join(spec.logsDir, "socat.log"), "utf8");
      assert.match(
        log,
        /accepting connection from AF=2 10\.250\.0\.1:\d+/,
        `probe source in the server's log:\n${log}`,
      );
    });
  });

  it("tcpSocket: an open port is ready, a closed one is not", async () => {
    const open = t.podSpec(0, "tcp-open", {
      containers: [
        {
          name: "c",
          ports: [{ containerPort: 80 }],
          readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 1 },
        },
      ],
    });
    const closed = t.podSpec(1, "tcp-closed", {
      containers: [
        {
          name: "c",
          ports: [{ containerPort: 80 }],
          readinessProbe: { tcpSocket: { port: 81 }, periodSeconds: 1 },
        },
      ],
    });
    await withPods([open, closed], async () => {
      await waitFor("tcp-open ready", () => isReady(open.uid));
      await new Promise((r) => setTimeout(r, 1200));
      assert.equal(await isReady(closed.uid), false);
    });
  });

  it("exec: follows the command's exit code with initialDelay, success and failure thresholds", async () => {
    const flag = join(t.logsRoot, "ready-flag");
    const spec: WorkloadPodSpec = t.podSpec(2, "exec-probed", {
      containers: [
        {
          name: "c",
          ports: [{ containerPort: 80 }],
          readinessProbe: {
            exec: { command: ["sh", "-c", `test -f ${flag} && test "$(hostname)" = exec-probed`] },
            initialDelaySeconds: 1,
            periodSeconds: 1,
            successThreshold: 2,
            failureThreshold: 2,
          },
        },
      ],
    });
    writeFileSync(flag, "");
    const started = Date.now();
    await withPods([spec], async () => {
      assert.equal(await isReady(spec.uid), false, "not ready during initialDelaySeconds");
      await waitFor("exec-probed ready", () => isReady(spec.uid));
      const tookMs = Date.now() - started;
      assert.ok(tookMs >= 1900, `initialDelay 1 s + 2 successes 1 s apart: ready after ${tookMs} ms`);
      rmSync(flag);
      await waitFor("exec-probed unready", async () => (await isReady(spec.uid)) === false, 5000);
      assert.deepEqual(readyEvents(spec.uid), [true, false]);
    });
  });

  it("a probe-less command container is ready once its declared port listens", async () => {
    const spec = t.podSpec(3, "slow-start", {
      containers: [
        {
          name: "py",
          command: ["sh", "-c", "sleep 1; exec python3 -m http.server 8000 --bind 127.0.0.1"],
          ports: [{ containerPort: 8000 }],
        },
        {
          name: "udp",
          command: ["socat", "UDP-RECVFROM:5353,fork", "EXEC:cat"],
          ports: [{ containerPort: 5353, protocol: "UDP" }],
        },
      ],
    });
    const started = Date.now();
    await withPods([spec], async () => {
      assert.equal(await isReady(spec.uid), false);
      await waitFor("slow-start ready", () => isReady(spec.uid));
      assert.ok(Date.now() - started >= 700, "not ready before python listens");
    });
  });
});
