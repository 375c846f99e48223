/**
 * A tiny node for the workload tests, made only of namespaces this test owns
 * (`flatnet-t<id>-...`): a "node" namespace with a bridge (10.250.0.1/24, fd00:250::1/64)
 * and pod namespaces on it (eth0 10.250.0.2 / fd00:250::2, .3, ...), like a node with its pods but without the
 * CNI plugin. Nothing touches the root namespace; cleanup() kills what a failed test left
 * running in these namespaces, removes every namespace (their links go with them) and the
 * logs directory, and is safe to call twice.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../src/kernel/exec.js";
import { createNetns, deleteNetns, listNetns, netnsPath } from "../../src/kernel/netns.js";
import type { WorkloadPodSpec } from "../../src/lab/workload/types.js";

export interface TestNs {
  name: string;
  path: string;
  ip: string;
  ip6: string;
}

export interface TestNode {
  id: string;
  node: TestNs;
  pods: TestNs[];
  logsRoot: string;
  /** A WorkloadPodSpec for pod i with the given containers. */
  podSpec(i: number, podName: string, extra: Partial<WorkloadPodSpec>): WorkloadPodSpec;
  cleanup(): Promise<void>;
}

export async function makeTestNode(podCount: number): Promise<TestNode> {
  const id = `flatnet-t${randomBytes(3).toString("hex")}`;
  const logsRoot = mkdtempSync(join(tmpdir(), `${id}-logs-`));
  const node: TestNs = {
    name: `${id}-node`,
    path: netnsPath(`${id}-node`),
    ip: "10.250.0.1",
    ip6: "fd00:250::1",
  };
  const pods: TestNs[] = Array.from({ length: podCount }, (_, i) => ({
    name: `${id}-p${i}`,
    path: netnsPath(`${id}-p${i}`),
    ip: `10.250.0.${i + 2}`,
    ip6: `fd00:250::${i + 2}`,
  }));
  const cleanup = async () => {
    for (const ns of listNetns(id)) {
      // A failed test may leave a container behind: only processes of our own namespaces.
      for (const pid of (await run(["ip", "netns", "pids", ns])).split("\n").filter(Boolean)) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          /* already gone */
        }
      }
      await deleteNetns(ns);
    }
    rmSync(logsRoot, { recursive: true, force: true });
  };
  try {
    await createNetns(node.name);
    await run(["ip", "link", "add", "br0", "type", "bridge"], { netns: node.name });
    await run(["ip", "addr", "add", `${node.ip}/24`, "dev", "br0"], { netns: node.name });
    await run(["ip", "addr", "add", `${node.ip6}/64`, "dev", "br0", "nodad"], { netns: node.name });
    await run(["ip", "link", "set", "br0", "up"], { netns: node.name });
    for (const [i, pod] of pods.entries()) {
      await createNetns(pod.name);
      await run(
        ["ip", "link", "add", `veth${i}`, "type", "veth", "peer", "name", "eth0", "netns", pod.name],
        {
          netns: node.name,
        },
      );
      await run(["ip", "link", "set", `veth${i}`, "master", "br0", "up"], { netns: node.name });
      await run(["ip", "addr", "add", `${pod.ip}/24`, "dev", "eth0"], { netns: pod.name });
      await run(["ip", "addr", "add", `${pod.ip6}/64`, "dev", "eth0", "nodad"], { netns: pod.name });
      await run(["ip", "link", "set", "eth0", "up"], { netns: pod.name });
      await run(["ip", "route", "add", "default", "via", node.ip], { netns: pod.name });
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    id,
    node,
    pods,
    logsRoot,
    podSpec: (i, podName, extra) => ({
      uid: `${id}-uid-${podName}`,
      namespace: "default",
      name: podName,
      netnsName: pods[i]!.name,
      netnsPath: pods[i]!.path,
      nodeNetnsPath: node.path,
      podIP: pods[i]!.ip,
      containers: [],
      logsDir: join(logsRoot, podName),
      ...extra,
    }),
    cleanup,
  };
}

/** PIDs of the processes in namespace ns (empty string when none). */
export async function pidsInNs(ns: string): Promise<string> {
  return (await run(["ip", "netns", "pids", ns])).trim();
}

/** Run argv inside namespace ns; stdout. */
export function inNs(ns: string, argv: string[], timeoutMs = 10_000): Promise<string> {
  return run(["ip", "netns", "exec", ns, ...argv], { timeoutMs });
}

/** Poll until pred() is truthy or the deadline passes (then throw naming what). */
export async function waitFor<T>(
  what: string,
  pred: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
