/**
 * Lab lifecycle through the CLI: bad input changes nothing, nodes join and leave a running
 * lab with every other node's entries following, two labs run side by side without
 * interfering, and `down` cleans everything even after the daemon was killed with SIGKILL.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { listNetns } from "../../src/kernel/netns.js";
import { flatnet, flatnetOk, podExec, repoRoot, uniqueLabName } from "../helpers/cli.js";

const fixture = `${repoRoot()}/test/fixtures/lab/pods.yaml`;
const dir = mkdtempSync(join(tmpdir(), "flatnet-t-e2e-"));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

function routesOf(lab: string, node: string): string {
  return execFileSync("ip", ["-n", `flatnet-${lab}_node-${node}`, "route", "show", "proto", "241"], {
    encoding: "utf8",
  });
}

describe("lab lifecycle", () => {
  const a = uniqueLabName("la");
  const b = uniqueLabName("lb");
  before(async () => {
    await flatnetOk(["up", "-f", fixture, "--name", a, "--nodes", "2"]);
    await flatnetOk(["up", "-f", fixture, "--name", b, "--nodes", "2", "--backend", "host-gw"]);
  });
  after(async () => {
    await flatnet(["down", "--name", a]);
    await flatnet(["down", "--name", b]);
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(listNetns(`flatnet-${a}_`), []);
    assert.deepEqual(listNetns(`flatnet-${b}_`), []);
  });

  test("an invalid manifest is rejected naming file, field and value, and nothing changes", async () => {
    const bad = write(
      "bad.yaml",
      "apiVersion: v1\nkind: Pod\nmetadata: { name: good, namespace: x }\nspec: { containers: [{ name: c, image: i }] }\n---\napiVersion: v1\nkind: Service\nmetadata: { name: s, namespace: x }\nspec: { ports: [{ port: 70000 }] }\n",
    );
    const r = await flatnet(["apply", "-f", bad, "--name", a]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.yaml#1 Service x\/s: spec\.ports\[0\]\.port: Invalid value: 70000/);
    const pods = JSON.parse(await flatnetOk(["get", "pods", "-n", "x", "-o", "json", "--name", a]));
    assert.equal(
      pods.items.some((p: { metadata: { name: string } }) => p.metadata.name === "good"),
      false,
    );
  });

  test("a pod in a missing namespace is refused before anything is applied", async () => {
    const f = write(
      "nons.yaml",
      "apiVersion: v1\nkind: Pod\nmetadata: { name: p, namespace: nowhere }\nspec: { containers: [{ name: c, image: i }] }\n",
    );
    const r = await flatnet(["apply", "-f", f, "--name", a]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /namespace "nowhere" not found/);
  });

  test("a node joins and leaves; the other nodes' routes follow", async () => {
    const node = write("node.yaml", "apiVersion: v1\nkind: Node\nmetadata: { name: node-3 }\n");
    await flatnetOk(["apply", "-f", node, "--name", a]);
    let cidr = "";
    for (let i = 0; i < 50; i++) {
      const n = JSON.parse(await flatnetOk(["get", "nodes", "node-3", "-o", "json", "--name", a])).items[0];
      cidr = n.spec.podCIDR;
      if (n.status?.conditions?.[0]?.status === "True" && routesOf(a, "node-1").includes(cidr)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(
      routesOf(a, "node-1"),
      new RegExp(`${cidr.replace(/\./g, "\\.").replace("/", "\\/")} via .* dev flannel\\.1`),
    );
    await flatnetOk(["delete", "node", "node-3", "--name", a]);
    for (let i = 0; i < 50 && routesOf(a, "node-1").includes(cidr); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(routesOf(a, "node-1").includes(cidr), false);
    assert.deepEqual(listNetns(`flatnet-${a}_node-node-3`), []);
  });

  test("two labs run side by side with the same addresses and do not interfere", async () => {
    const ipA = JSON.parse(await flatnetOk(["get", "pod", "c", "-n", "x", "-o", "json", "--name", a]))
      .items[0].status.podIP;
    const ipB = JSON.parse(await flatnetOk(["get", "pod", "c", "-n", "x", "-o", "json", "--name", b]))
      .items[0].status.podIP;
    // Both labs use the same address plan: the same podCIDR on node-2 holds both pods.
    assert.equal(ipA.split(".").slice(0, 3).join("."), ipB.split(".").slice(0, 3).join("."));
    assert.equal((await podExec(a, "x", "a", ["curl", "-s", "-m", "5", `${ipA}:8080/hostname`])).trim(), "c");
    assert.equal((await podExec(b, "x", "a", ["curl", "-s", "-m", "5", `${ipB}:8080/hostname`])).trim(), "c");
    const r = await flatnet(["get", "pods", "-n", "x"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /labs are running .*--name/);
  });

  test("exec passes stdin through and exits with the command's code", async () => {
    const echoed = await flatnet(["exec", "-n", "x", "--name", a, "a", "--", "sh", "-c", "cat; exit 7"], {
      input: "hello from stdin\n",
    });
    assert.equal(echoed.code, 7);
    assert.equal(echoed.stdout, "hello from stdin\n");
    const host = await podExec(a, "x", "a", ["hostname"]);
    assert.equal(host.trim(), "a", "the pod name is its hostname");
    const missing = await flatnet(["exec", "-n", "x", "--name", a, "nope", "--", "true"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Pod "nope" not found in namespace "x"/);
  });

  test("doctor checks the machine, and every command refuses to run without root", async () => {
    const doc = await flatnet(["doctor"]);
    assert.equal(doc.code, 0, doc.stdout);
    assert.match(doc.stdout, /ok {3}vxlan/);
    const cli = `${repoRoot()}/bin/flatnet.js`;
    const asNobody = (args: string[]) =>
      spawnSync("runuser", ["-u", "nobody", "--", process.execPath, cli, ...args], { encoding: "utf8" });
    const r = asNobody(["up", "--name", "nobody"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^error: flatnet up needs root: .* \(run it with sudo\)\n$/);
    assert.deepEqual(listNetns("flatnet-nobody_"), []);
  });

  test("down cleans everything after the daemon was killed with SIGKILL", async () => {
    const pid = Number(readFileSync(`/run/flatnet/labs/${b}/daemon.pid`, "utf8"));
    process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 200));
    const out = await flatnetOk(["down", "--name", b]);
    assert.match(out, /removed/);
    assert.deepEqual(listNetns(`flatnet-${b}_`), []);
    const leftovers = readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/cmdline`, "utf8").includes(`daemon-main.js\0${b}\0`);
        } catch {
          return false;
        }
      });
    assert.deepEqual(leftovers, [], "no daemon of the lab survives");
  });
});
