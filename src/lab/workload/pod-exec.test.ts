/** How a process enters a pod: argv, hostname, environment and $(VAR) expansion. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { containerCommand, containerEnv, expandVars, podExecArgv, podHostname } from "./pod-exec.js";
import type { WorkloadPodSpec } from "./types.js";

const spec: WorkloadPodSpec = {
  uid: "u1",
  namespace: "ns1",
  name: "web-0",
  netnsName: "flatnet-lab-n1-web",
  netnsPath: "/run/netns/flatnet-lab-n1-web",
  podIP: "10.244.1.5",
  nodeName: "n1",
  containers: [],
  logsDir: "/tmp/x",
  extraEnv: { SVC_HOST: "10.96.0.10" },
};

describe("pod exec", () => {
  it("enters the netns, sets the hostname and execs without forking", () => {
    assert.deepEqual(podExecArgv("ns-a", "web-0", ["sleep", "1"]), [
      "ip",
      "netns",
      "exec",
      "ns-a",
      "unshare",
      "--uts",
      "--",
      "sh",
      "-c",
      'hostname "$0" && exec "$@"',
      "web-0",
      "sleep",
      "1",
    ]);
    assert.throws(() => podExecArgv("ns-a", "web-0", []), /empty command/);
  });

  it("truncates hostnames to 63 characters like Kubernetes", () => {
    assert.equal(podHostname(`${"a".repeat(62)}-b`), "a".repeat(62));
    assert.equal(podHostname("short"), "short");
  });

  it("expands $(VAR) references, keeps $$(VAR) literal and unknown references as they are", () => {
    const env = { A: "1", B: "two" };
    assert.equal(expandVars("$(A)-$(B)-$(C)-$$(A)-$$-$", env), "1-two-$(C)-$(A)-$-$");
  });

  it("builds the container env in Kubernetes order with fieldRefs", () => {
    const env = containerEnv(spec, {
      name: "c",
      env: [
        { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "WHERE", value: "$(POD)@$(NODE)" },
        { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
        { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "DNS", value: "$(SVC_HOST)" },
      ],
    });
    assert.equal(env.HOSTNAME, "web-0");
    assert.equal(env.WHERE, "web-0@$(NODE)", "only earlier variables expand");
    assert.equal(env.NODE, "n1");
    assert.equal(env.IP, "10.244.1.5");
    assert.equal(env.DNS, "10.96.0.10");
    assert.equal(env.PATH, process.env.PATH);
  });

  it("names unsupported env sources", () => {
    assert.throws(
      () =>
        containerEnv(spec, {
          name: "c",
          env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "m", key: "k" } } }],
        }),
      /env X: only value and valueFrom.fieldRef/,
    );
    assert.throws(
      () =>
        containerEnv(spec, {
          name: "c",
          env: [{ name: "X", valueFrom: { fieldRef: { fieldPath: "metadata.labels" } } }],
        }),
      /fieldRef metadata.labels is not supported/,
    );
  });

  it("joins command and args with expansion", () => {
    assert.deepEqual(
      containerCommand({ name: "c", command: ["echo", "$(A)"], args: ["$(B)"] }, { A: "x", B: "y" }),
      ["echo", "x", "y"],
    );
  });
});
