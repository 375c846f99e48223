/**
 * `flatnet analyze` through the CLI as a user types it, offline: every NetworkPolicy
 * conformance case (test/fixtures/policy) on the e2e topology over TCP and UDP ports 80 and
 * 81, the human table, Deployments and status.podIP, --diff, and bad input.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { flatnet, flatnetOk } from "../helpers/cli.js";
import {
  E2E_KEYS,
  POLICY_FIXTURES,
  policyCases,
  TOPOLOGY,
  tableDifferences,
} from "../helpers/policy-cases.js";

interface MatrixJson {
  port: number;
  protocol: string;
  allowed: Record<string, Record<string, boolean>>;
}

const tmp = mkdtempSync(join(tmpdir(), "flatnet-analyze-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

describe("flatnet analyze: NetworkPolicy conformance cases", () => {
  for (const c of policyCases()) {
    test(c.name, async () => {
      const out = await flatnetOk([
        "analyze",
        "-f",
        TOPOLOGY,
        "-f",
        c.manifest,
        "--port",
        "80,81",
        "--protocol",
        "TCP,UDP",
        "-o",
        "json",
      ]);
      const { matrices } = JSON.parse(out) as { matrices: MatrixJson[] };
      assert.equal(matrices.length, 4);
      assert.ok(c.expectations.length > 0);
      const problems = c.expectations.flatMap((e) =>
        tableDifferences(e, matrices.find((m) => m.port === e.port && m.protocol === e.protocol)?.allowed),
      );
      assert.deepEqual(problems, []);
    });
  }
});

describe("flatnet analyze", () => {
  test("JSON has every ordered pair, keys namespace/pod; a directory works like its files", async () => {
    const out = JSON.parse(await flatnetOk(["analyze", "-f", TOPOLOGY, "-o", "json"])) as {
      matrices: MatrixJson[];
    };
    assert.equal(out.matrices.length, 1);
    const m = out.matrices[0]!;
    assert.equal(m.port, 80);
    assert.equal(m.protocol, "TCP");
    assert.deepEqual(Object.keys(m.allowed), E2E_KEYS);
    for (const from of E2E_KEYS) assert.deepEqual(Object.keys(m.allowed[from]!), E2E_KEYS);
    assert.ok(Object.values(m.allowed).every((row) => Object.values(row).every((v) => v === true)));
    const dir = join(tmp, "dir");
    mkdirSync(join(dir, "nested"), { recursive: true });
    copyFileSync(TOPOLOGY, join(dir, "topology.yaml"));
    copyFileSync(join(POLICY_FIXTURES, "cases", "deny-all-ingress.yaml"), join(dir, "nested", "policy.yaml"));
    writeFileSync(join(dir, "notes.txt"), "not a manifest");
    const fromDir = JSON.parse(await flatnetOk(["analyze", "-f", dir, "-o", "json"])) as {
      matrices: MatrixJson[];
    };
    assert.equal(fromDir.matrices[0]!.allowed["y/c"]!["x/a"], false);
    assert.equal(fromDir.matrices[0]!.allowed["x/a"]!["y/c"], true);
  });

  test("human output is the probe table", async () => {
    const out = await flatnetOk([
      "analyze",
      "-f",
      TOPOLOGY,
      "-f",
      join(POLICY_FIXTURES, "cases", "deny-all-ingress.yaml"),
    ]);
    const lines = out.split("\n");
    assert.match(lines[0]!, /^TCP\/80 {2}\(row: from, column: to; \. reachable, X blocked\)/);
    assert.match(lines[1]!, /^ {2}0 {2}x\/a +\. X X \. \. \. \. \. \.$/);
    assert.match(lines[4]!, /^ {2}3 {2}y\/a +X X X \. \. \. \. \. \.$/);
  });

  test("a port nobody listens on is unreachable everywhere", async () => {
    const out = JSON.parse(await flatnetOk(["analyze", "-f", TOPOLOGY, "--port", "8080", "-o", "json"])) as {
      matrices: MatrixJson[];
    };
    assert.ok(
      Object.values(out.matrices[0]!.allowed).every((row) => Object.values(row).every((v) => v === false)),
    );
  });

  test("Deployments are expanded; status.podIP is used for ipBlocks; pods without IP reach nothing", async () => {
    const file = write(
      "deploy.yaml",
      `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: c, image: nginx, ports: [{ containerPort: 80 }] }]
---
apiVersion: v1
kind: Pod
metadata: { name: fixed, namespace: default, labels: { app: client } }
spec: { containers: [{ name: c, image: x, ports: [{ containerPort: 80 }] }] }
status: { podIP: 10.244.1.77 }
---
apiVersion: v1
kind: Pod
metadata: { name: lost, namespace: default }
spec: { nodeName: node-9, containers: [{ name: c, image: x, ports: [{ containerPort: 80 }] }] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: web-from-fixed, namespace: default }
spec:
  podSelector: { matchLabels: { app: web } }
  ingress: [{ from: [{ ipBlock: { cidr: 10.244.1.77/32 } }] }]
`,
    );
    const out = JSON.parse(await flatnetOk(["analyze", "-f", file, "-o", "json"])) as {
      matrices: MatrixJson[];
    };
    const m = out.matrices[0]!.allowed;
    const web = Object.keys(m).filter((k) => k.startsWith("default/web-"));
    assert.equal(web.length, 2);
    assert.deepEqual(Object.keys(m).sort(), ["default/fixed", "default/lost", ...web].sort());
    for (const w of web) {
      assert.equal(m["default/fixed"]![w], true);
      assert.equal(m[web.find((o) => o !== w)!]![w], false);
      assert.equal(m[w]!["default/fixed"], true);
      assert.equal(m["default/lost"]![w], false);
      assert.equal(m[w]!["default/lost"], false);
    }
    const human = await flatnetOk(["analyze", "-f", file]);
    assert.match(human, /default\/lost: node "node-9" \(spec.nodeName\) does not exist/);
  });

  test("--diff lists the pairs a change opens and closes", async () => {
    const before = join(POLICY_FIXTURES, "cases", "deny-all-ingress.yaml");
    const afterFile = join(POLICY_FIXTURES, "cases", "allow-from-namespace-by-label.yaml");
    const out = JSON.parse(
      await flatnetOk([
        "analyze",
        "--diff",
        "-f",
        TOPOLOGY,
        "-f",
        before,
        "--against",
        TOPOLOGY,
        "--against",
        afterFile,
        "-o",
        "json",
      ]),
    ) as {
      diffs: Array<{
        port: number;
        protocol: string;
        opened: Array<{ from: string; to: string }>;
        closed: unknown[];
      }>;
    };
    const d = out.diffs[0]!;
    assert.equal(d.port, 80);
    assert.deepEqual(d.closed, []);
    // x/b and x/c open to everyone; x/a opens to y only.
    const opened = d.opened.map((p) => `${p.from}>${p.to}`);
    assert.equal(opened.length, 8 + 8 + 3);
    assert.ok(opened.includes("y/b>x/a"));
    assert.ok(!opened.includes("z/b>x/a"));
    assert.ok(opened.includes("z/b>x/c"));
    const human = await flatnetOk([
      "analyze",
      "--diff",
      "-f",
      TOPOLOGY,
      "-f",
      afterFile,
      "--against",
      TOPOLOGY,
      "--against",
      before,
    ]);
    assert.match(human, /^TCP\/80: 0 opened, 19 closed$/m);
    assert.match(human, /^ {2}- y\/b -> x\/a$/m);
  });

  test("bad input: an invalid policy names the field and value; missing flags say what to do", async () => {
    const bad = write(
      "bad.yaml",
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: bad, namespace: x }
spec:
  podSelector: {}
  ingress: [{ ports: [{ port: 90, endPort: 80 }] }]
`,
    );
    const r = await flatnet(["analyze", "-f", bad]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.ingress\[0\]\.ports\[0\]\.endPort/);
    assert.match(r.stderr, /80/);
    const none = await flatnet(["analyze"]);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /no manifests given.*-f/);
    const diff = await flatnet(["analyze", "--diff", "-f", TOPOLOGY]);
    assert.match(diff.stderr, /--against/);
    const port = await flatnet(["analyze", "-f", TOPOLOGY, "--port", "0"]);
    assert.match(port.stderr, /--port: invalid port "0"/);
    const help = await flatnetOk(["analyze", "--help"]);
    assert.match(help, /^Usage: flatnet analyze/);
  });
});
