/**
 * The built-in workload server, seen from other namespaces with real clients (curl, nc):
 * netexec's HTTP endpoints, /clientip showing the peer's own address (no NAT between pods
 * or from the node), the UDP protocol, and sockets gone after removePod.
 */
import assert from "node:assert/strict";
import { readdirSync, readlinkSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { kernelTools } from "../../src/kernel/spawn-pool.js";
import { WorkloadHost } from "../../src/lab/workload/host.js";
import { inNs, makeTestNode, type TestNode } from "./workload-fixture.js";

describe("workload built-in server", () => {
  let t: TestNode;
  let host: WorkloadHost;
  let uid: string;
  let fdsBefore = 0;
  // Sockets only: pipes to helper processes (the spawn pool) come and go with other work.
  const openFds = () =>
    readdirSync("/proc/self/fd").filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:");
      } catch {
        return false;
      }
    }).length;

  before(async () => {
    t = await makeTestNode(2);
    host = new WorkloadHost();
    await kernelTools.startAll(); // its helpers' pipes are not the pod's
    fdsBefore = openFds();
    const spec = t.podSpec(0, "web-0", {
      containers: [
        {
          name: "web",
          ports: [
            { containerPort: 80, name: "http" },
            { containerPort: 53, protocol: "UDP" },
          ],
        },
      ],
    });
    uid = spec.uid;
    const status = await host.addPod(spec);
    assert.equal(status.phase, "Running");
    assert.equal(status.ready, true, "a built-in pod without probes is ready once its sockets listen");
  });

  after(async () => {
    await host?.shutdown();
    await t?.cleanup();
  });

  const curl = (from: string, path: string) =>
    inNs(from, ["curl", "-sS", "-m", "3", `http://10.250.0.2:80${path}`]);

  it("answers netexec's HTTP endpoints", async () => {
    const from = t.pods[1]!.name;
    assert.equal(await curl(from, "/hostname"), "web-0");
    assert.equal(await curl(from, "/echo?msg=hello%20world"), "hello world");
    assert.equal(await curl(from, "/healthz"), "ok");
    assert.match(await curl(from, "/"), /^web-0\n/);
    const headers = JSON.parse(
      await inNs(from, [
        "curl",
        "-sS",
        "-m",
        "3",
        "-H",
        "X-Forwarded-For: 1.2.3.4",
        "http://10.250.0.2/headers",
      ]),
    );
    assert.equal(headers["x-forwarded-for"], "1.2.3.4");
    assert.equal(
      await inNs(from, [
        "curl",
        "-sS",
        "-m",
        "3",
        "-H",
        "X-Test: yes",
        "http://10.250.0.2/header?key=X-Test",
      ]),
      "yes",
    );
    const code = await inNs(from, [
      "curl",
      "-s",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "-m",
      "3",
      "http://10.250.0.2/nope",
    ]);
    assert.equal(code, "404");
  });

  it("shows the real client address in /clientip, from a pod and from the node", async () => {
    assert.match(await curl(t.pods[1]!.name, "/clientip"), /^10\.250\.0\.3:\d+$/);
    assert.match(await curl(t.node.name, "/clientip"), /^10\.250\.0\.1:\d+$/);
    assert.match(
      await inNs(t.pods[0]!.name, ["curl", "-sS", "-m", "3", "http://127.0.0.1/clientip"]),
      /^127\.0\.0\.1:\d+$/,
    );
  });

  it("accepts a plain TCP connection (nc -z)", async () => {
    await inNs(t.pods[1]!.name, ["nc", "-z", "-w", "2", "10.250.0.2", "80"]);
  });

  it("answers the UDP protocol: hostname, clientip, echo, unknown", async () => {
    // nc waits out its -w idle time after the answer: all four at once, each from its own port.
    const udp = (msg: string, srcPort: number) =>
      inNs(t.pods[1]!.name, ["sh", "-c", `printf '%s' "$0" | nc -u -w 1 -p ${srcPort} 10.250.0.2 53`, msg]);
    const answers = await Promise.all([
      udp("hostname", 40000),
      udp("clientip", 40001),
      udp("echo x y", 40002),
      udp("bogus", 40003),
    ]);
    assert.equal(answers[0], "web-0");
    assert.equal(answers[1], "10.250.0.3:40001");
    assert.equal(answers[2], "x y");
    assert.match(answers[3]!, /unknown command/);
  });

  it("serves a dual-stack pod on IPv4 and IPv6 with the peer's own address", async () => {
    const spec = t.podSpec(1, "dual-0", {
      podIPs: [t.pods[1]!.ip, t.pods[1]!.ip6],
      containers: [{ name: "web", ports: [{ containerPort: 80 }, { containerPort: 53, protocol: "UDP" }] }],
    });
    await host.addPod(spec);
    try {
      const from = t.pods[0]!.name;
      const get = (url: string) => inNs(from, ["curl", "-sS", "-g", "-m", "3", url]);
      assert.match(await get("http://[fd00:250::3]/clientip"), /^\[fd00:250::2\]:\d+$/);
      assert.match(
        await get("http://10.250.0.3/clientip"),
        /^10\.250\.0\.2:\d+$/,
        "IPv4 peers shown as IPv4",
      );
      const results = await host.probe([
        { fromNetnsPath: t.pods[0]!.path, toIp: "fd00:250::3", port: 53, protocol: "UDP" },
        { fromNetnsPath: t.pods[0]!.path, toIp: "10.250.0.3", port: 53, protocol: "UDP" },
        {
          fromNetnsPath: t.pods[0]!.path,
          toIp: "fd00:250::3",
          port: 80,
          protocol: "TCP",
          readHostname: true,
        },
      ]);
      assert.deepEqual(
        results.map((r) => r.answeredBy),
        ["dual-0", "dual-0", "dual-0"],
      );
    } finally {
      await host.removePod(spec.uid);
    }
  });

  it("closes the pod's sockets on removePod", async () => {
    assert.equal(await host.removePod(uid), true);
    const listening = await inNs(t.pods[0]!.name, ["ss", "-Hlntu"]);
    assert.equal(listening.trim(), "", `sockets left in the pod namespace: ${listening}`);
    assert.equal(openFds(), fdsBefore, "the host holds no descriptor of the pod");
    assert.equal(await host.removePod(uid), false);
    assert.deepEqual(await host.listPods(), []);
  });
});
