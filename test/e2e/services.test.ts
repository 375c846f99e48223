/**
 * Services end to end, through the CLI as a user types it, on a lab of its own (two nodes,
 * vxlan): `get svc` columns, spread over endpoints, ClientIP affinity, externalTrafficPolicy
 * Local keeping the client IP and not served by a node without an endpoint, refusal without
 * endpoints, hairpin, NodePort from the external client on every node, a UDP Service, named
 * targetPorts that differ per pod, a node reaching a ClusterIP, internalTrafficPolicy Local,
 * publishNotReadyAddresses, fallback to a serving-terminating endpoint, bad Services refused
 * with nothing changed, and an endpoint removed taking no new connections.
 * Fixtures: test/fixtures/lab/services.yaml, test/fixtures/lab/services-bad/.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { listNetns } from "../../src/kernel/netns.js";
import { flatnet, flatnetOk, repoRoot, uniqueLabName } from "../helpers/cli.js";

const fixture = `${repoRoot()}/test/fixtures/lab/services.yaml`;

interface Item {
  metadata: { name: string };
  spec: { clusterIP?: string };
  status?: { addresses?: Array<{ type: string; address: string }> };
}

describe("Services in the lab", { timeout: 600_000 }, () => {
  const lab = uniqueLabName("es");
  const vip = new Map<string, string>();
  let nodeIPs: string[] = [];
  let externalIP = "";

  const exec = (where: string[], cmd: string[]) => flatnet(["exec", "--name", lab, ...where, "--", ...cmd]);
  const inPod = (pod: string, script: string) => exec(["-n", "svc", pod], ["sh", "-c", script]);
  /** `count` requests from `pod` to url, one line each ("ERR" for a failed one). */
  async function many(pod: string, url: string, count: number): Promise<string[]> {
    const r = await inPod(pod, `for i in $(seq ${count}); do curl -s -m 2 ${url} || printf ERR; echo; done`);
    return r.stdout.trim().split("\n");
  }
  const tally = (lines: string[]) => {
    const m = new Map<string, number>();
    for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
    return m;
  };

  before(async () => {
    await flatnetOk(["up", "-f", fixture, "--name", lab, "--nodes", "2", "--backend", "vxlan"]);
    const svcs = JSON.parse(await flatnetOk(["get", "svc", "-n", "svc", "-o", "json", "--name", lab])) as {
      items: Item[];
    };
    for (const s of svcs.items) vip.set(s.metadata.name, s.spec.clusterIP ?? "");
    const nodes = JSON.parse(await flatnetOk(["get", "nodes", "-o", "json", "--name", lab])) as {
      items: Item[];
    };
    nodeIPs = nodes.items.map((n) => n.status!.addresses!.find((a) => a.type === "InternalIP")!.address);
    externalIP = (await exec(["--external"], ["ip", "-4", "-o", "addr", "show", "dev", "eth0"])).stdout.match(
      /inet (\d+\.\d+\.\d+\.\d+)/,
    )![1]!;
  });

  after(async () => {
    await flatnet(["down", "--name", lab]);
    assert.deepEqual(listNetns(`flatnet-${lab}_`), [], "down removed every namespace");
  });

  test("get svc prints TYPE, CLUSTER-IP and PORT(S) as kubectl does", async () => {
    const out = await flatnetOk(["get", "svc", "-n", "svc", "--name", lab]);
    assert.match(out, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+DNS$/m);
    assert.match(
      out,
      /^web\s+NodePort\s+10\.(9[6-9]|10\d|11[01])\.\d+\.\d+\s+<none>\s+80:30080\/TCP,53:30053\/UDP\s+\d+s\s+web\.svc\.svc\.cluster\.local$/m,
    );
    assert.match(out, /^sticky\s+ClusterIP\s+10\.\d+\.\d+\.\d+\s+<none>\s+80\/TCP\s/m);
    const all = await flatnetOk(["get", "svc", "-A", "--name", lab]);
    assert.match(all, /^default\s+kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP\s/m);
    const slices = await flatnetOk(["get", "endpointslices", "-n", "svc", "--name", lab]);
    assert.match(
      slices,
      /^web-[0-9a-f]{5}\s+IPv4\s+8080,8081\s+10\.244\.\d+\.\d+,10\.244\.\d+\.\d+,10\.244\.\d+\.\d+\s/m,
    );
    assert.match(slices, /^empty-[0-9a-f]{5}\s+IPv4\s+<unset>\s+<unset>\s/m);
  });

  test("connections to a ClusterIP spread over every endpoint", async () => {
    const counts = tally(await many("client", `http://${vip.get("web")}/hostname`, 45));
    assert.deepEqual([...counts.keys()].sort(), ["web-1", "web-2", "web-3"], JSON.stringify([...counts]));
  });

  test("sessionAffinity ClientIP keeps a client on one endpoint", async () => {
    const counts = tally(await many("client", `http://${vip.get("sticky")}/hostname`, 20));
    assert.equal(counts.size, 1, JSON.stringify([...counts]));
    assert.match([...counts.keys()][0]!, /^web-\d$/);
  });

  test("NodePort answers the external client on every node", async () => {
    for (const ip of nodeIPs) {
      const r = await exec(["--external"], ["curl", "-s", "-m", "3", `http://${ip}:30080/hostname`]);
      assert.equal(r.code, 0, `${ip}:30080: ${r.stderr}`);
      assert.match(r.stdout.trim(), /^web-\d$/);
    }
  });

  test("externalTrafficPolicy Local preserves the client IP and a node without an endpoint does not serve", async () => {
    // The one endpoint (web-3) runs on node-2.
    const [node1, node2] = nodeIPs;
    const served = await exec(["--external"], ["curl", "-s", "-m", "3", `http://${node2}:30081/clientip`]);
    assert.equal(served.code, 0, served.stderr);
    assert.equal(
      served.stdout.trim().split(":")[0],
      externalIP,
      "the pod sees the external client's own address",
    );
    const other = await exec(["--external"], ["curl", "-s", "-m", "2", `http://${node1}:30081/clientip`]);
    assert.equal(other.code, 28, `node-1 must not answer (curl exit ${other.code}: ${other.stdout})`);
  });

  test("a Service without endpoints refuses at once", async () => {
    const started = Date.now();
    const r = await inPod("client", `curl -sS -v -m 5 http://${vip.get("empty")}/ 2>&1; echo "exit=$?"`);
    const ms = Date.now() - started;
    assert.match(r.stdout, /Connection refused/);
    assert.match(r.stdout, /exit=7/);
    assert.ok(ms < 2000, `took ${ms} ms including the CLI`);
  });

  test("hairpin: a pod reaches itself through its own Service", async () => {
    const r = await inPod("web-1", `curl -s -m 3 http://${vip.get("solo")}/hostname`);
    assert.equal(r.stdout.trim(), "web-1");
  });

  test("a UDP Service answers", async () => {
    const r = await inPod(
      "client",
      `for i in 1 2 3; do echo hostname | nc -u -w1 ${vip.get("web")} 53; echo; done`,
    );
    const names = r.stdout
      .trim()
      .split("\n")
      .filter((l) => l !== "");
    assert.equal(names.length, 3, r.stdout + r.stderr);
    for (const n of names) assert.match(n, /^web-\d$/);
  });

  test("named targetPorts resolve per pod (8080 on alt-1, 9090 on alt-2)", async () => {
    const counts = tally(await many("client", `http://${vip.get("alt")}/hostname`, 24));
    assert.deepEqual([...counts.keys()].sort(), ["alt-1", "alt-2"], JSON.stringify([...counts]));
  });

  test("a node reaches a ClusterIP", async () => {
    const r = await exec(
      ["--node", "node-1"],
      ["curl", "-s", "-m", "3", `http://${vip.get("alt")}/hostname`],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^alt-[12]$/);
  });

  test("internalTrafficPolicy Local: a ClusterIP reaches only the endpoints on the client's node", async () => {
    // client runs on node-2 next to web-3; alt-1 runs on node-1 next to web-1 and web-2.
    const url = `http://${vip.get("inner")}/hostname`;
    const fromNode2 = tally(await many("client", url, 12));
    assert.deepEqual([...fromNode2.keys()], ["web-3"], JSON.stringify([...fromNode2]));
    const fromNode1 = tally(await many("alt-1", url, 24));
    assert.deepEqual([...fromNode1.keys()].sort(), ["web-1", "web-2"], JSON.stringify([...fromNode1]));
  });

  test("publishNotReadyAddresses sends traffic to a pod that is not Ready; without it, refused", async () => {
    const pods = JSON.parse(await flatnetOk(["get", "pods", "-n", "svc", "-o", "json", "--name", lab])) as {
      items: Array<Item & { status?: { conditions?: Array<{ type: string; status: string }> } }>;
    };
    const unready = pods.items.find((p) => p.metadata.name === "unready-1")!;
    assert.equal(unready.status?.conditions?.find((c) => c.type === "Ready")?.status, "False");
    const r = await inPod("client", `curl -s -m 3 http://${vip.get("unready")}/hostname`);
    assert.equal(r.stdout.trim(), "unready-1", r.stderr);
    const hidden = await inPod(
      "client",
      `curl -sS -v -m 3 http://${vip.get("unready-hidden")}/hostname 2>&1; echo "exit=$?"`,
    );
    assert.match(hidden.stdout, /Connection refused/);
    assert.match(hidden.stdout, /exit=7/);
  });

  test("a terminating endpoint that still serves takes connections when none is ready", async () => {
    const url = `http://${vip.get("drain")}/hostname`;
    assert.deepEqual(await many("client", url, 3), ["drain-1", "drain-1", "drain-1"]);
    await flatnetOk(["delete", "pod", "drain-1", "-n", "svc", "--name", lab]);
    // drain-1 ignores SIGTERM: for its 20 s grace period its slice says terminating, serving,
    // not ready. Wait for the slice to say so.
    const deadline = Date.now() + 10_000;
    let conditions: unknown;
    for (;;) {
      const slices = JSON.parse(
        await flatnetOk(["get", "endpointslices", "-n", "svc", "-o", "json", "--name", lab]),
      ) as {
        items: Array<{
          metadata: { labels?: Record<string, string> };
          endpoints?: Array<{ conditions?: unknown }>;
        }>;
      };
      const drain = slices.items.find((s) => s.metadata.labels?.["kubernetes.io/service-name"] === "drain");
      conditions = drain?.endpoints?.[0]?.conditions;
      if (JSON.stringify(conditions) === JSON.stringify({ ready: false, serving: true, terminating: true }))
        break;
      assert.ok(
        Date.now() < deadline,
        `the slice never showed drain-1 terminating: ${JSON.stringify(conditions)}`,
      );
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await many("client", url, 5), Array(5).fill("drain-1"));
  });

  test("bad Services are refused with the reason and change nothing", async () => {
    const bad = `${repoRoot()}/test/fixtures/lab/services-bad`;
    const before = await flatnetOk(["get", "svc", "-n", "svc", "-o", "json", "--name", lab]);
    const cases: Array<[string, RegExp]> = [
      [
        "clusterip-taken.yaml",
        /Service svc\/clash: spec\.clusterIP: .*10\.96\.0\.1.*already allocated to default\/kubernetes/,
      ],
      [
        "clusterip-out-of-range.yaml",
        /spec\.clusterIP: .*192\.168\.50\.5.*outside the service CIDR 10\.96\.0\.0\/12/,
      ],
      ["nodeport-taken.yaml", /spec\.ports\[0\]\.nodePort: .*30080.*already allocated to svc\/web/],
      ["nodeport-out-of-range.yaml", /nodePort 8080 .*outside the NodePort range 30000-32767/],
      ["duplicate-ports.yaml", /spec\.ports\[1\]: Duplicate value/],
      ["invalid-port.yaml", /spec\.ports\[0\]\.port: Invalid value: 70000: must be between 1 and 65535/],
      ["broken-selector.yaml", /spec\.selector\[app\]: Invalid value: "web server"/],
    ];
    for (const [file, why] of cases) {
      const r = await flatnet(["apply", "-f", `${bad}/${file}`, "--name", lab]);
      assert.notEqual(r.code, 0, `${file} was accepted`);
      assert.match(r.stderr, why, file);
    }
    const after = await flatnetOk(["get", "svc", "-n", "svc", "-o", "json", "--name", lab]);
    const names = (s: string) =>
      (JSON.parse(s) as { items: Item[] }).items.map((i) => i.metadata.name).sort();
    assert.deepEqual(
      names(after),
      names(before),
      "no Service was created (not even the valid one of a refused apply)",
    );
  });

  test("an endpoint removed takes no new connections", async () => {
    await flatnetOk(["delete", "pod", "web-2", "-n", "svc", "--name", lab]);
    // The proxy drops the endpoint as soon as the pod is terminating; give its loop a moment.
    await new Promise((r) => setTimeout(r, 500));
    const lines = await many("client", `http://${vip.get("web")}/hostname`, 30);
    const counts = tally(lines);
    assert.equal(counts.get("ERR"), undefined, `every connection succeeded: ${JSON.stringify([...counts])}`);
    assert.equal(counts.get("web-2"), undefined, "none reached the removed pod");
    assert.deepEqual([...counts.keys()].sort(), ["web-1", "web-3"]);
  });
});
