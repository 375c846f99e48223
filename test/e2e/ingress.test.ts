/**
 * Ingress end to end, through the CLI as a user types it, on a lab of its own (2 nodes,
 * vxlan): the controller add-on (pods in flatnet-ingress behind the NodePort Service
 * flatnet-ingress, IngressClass flatnet), reached from the lab's external client with curl on
 * every node's NodePort for every routing rule; TLS with --resolve and SNI against each
 * Secret's certificate, an invalid Secret falling back to the default certificate; a
 * WebSocket through the proxy; and load through configuration changes without one failed
 * request. Backends are echo pods naming themselves in X-Pod (test/fixtures/lab/ingress.yaml).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type PemPair, selfSignedCert } from "../../src/ingress/certs.js";
import { flatnet, flatnetOk, repoRoot, uniqueLabName } from "../helpers/cli.js";

interface Item {
  metadata: { name: string; namespace?: string };
  spec: { ports?: Array<{ name?: string; nodePort?: number }> };
  status?: {
    addresses?: Array<{ type: string; address: string }>;
    conditions?: Array<{ type: string; status: string }>;
  };
}

const secretYaml = (name: string, pem: PemPair) =>
  `apiVersion: v1\nkind: Secret\nmetadata: { name: ${name}, namespace: shop }\ntype: kubernetes.io/tls\ndata:\n  tls.crt: ${Buffer.from(pem.cert).toString("base64")}\n  tls.key: ${Buffer.from(pem.key).toString("base64")}\n---\n`;

describe("ingress in the lab", { timeout: 900_000 }, () => {
  const lab = uniqueLabName("ei");
  const tmp = mkdtempSync(join(tmpdir(), "flatnet-t-ingress-e2e-"));
  let nodeIPs: string[] = [];
  let httpPort = 0;
  let httpsPort = 0;
  const certs: Record<string, PemPair> = {};

  const external = (cmd: string[]) => flatnet(["exec", "--external", "--name", lab, "--", ...cmd]);
  const get = async (args: string[]) =>
    (JSON.parse(await flatnetOk(["get", ...args, "-o", "json", "--name", lab])) as { items: Item[] }).items;
  const apply = async (yaml: string) => {
    const f = join(tmp, `apply-${Date.now()}-${Math.random()}.yaml`);
    writeFileSync(f, yaml);
    await flatnetOk(["apply", "-f", f, "--name", lab]);
  };

  /** Each case `[scheme, host, path, ...curl args]` once per node: "status pod" or "curl-exit-N". */
  async function curlAll(cases: string[][], nodes = nodeIPs, fullPodNames = false): Promise<string[]> {
    const lines: string[] = ["#!/bin/bash"];
    for (const [scheme, host, path, ...extra] of cases) {
      const port = scheme === "https" ? httpsPort : httpPort;
      for (const ip of nodes)
        lines.push(
          `curl -s -o /dev/null --max-time 5 -w '%{exitcode} %{http_code} %header{x-pod}\\n' --resolve ${host}:${port}:${ip} ${extra.join(" ")} '${scheme}://${host}:${port}${path}'`,
        );
    }
    const script = join(tmp, `curl-${Date.now()}.sh`);
    writeFileSync(script, `${lines.join("\n")}\n`);
    const r = await external(["bash", script]);
    return r.stdout
      .trim()
      .split("\n")
      .map((l) => {
        const [exit, status, pod = ""] = l.trim().split(" ");
        if (exit !== "0") return `curl-exit-${exit}`;
        const name = fullPodNames ? pod : pod.replace(/-[a-z0-9]+-[a-z0-9]+$/, "");
        return name ? `${status} ${name}` : `${status}`;
      });
  }

  const apiDeployment = (replicas: number) =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: api, namespace: shop }\nspec:\n  replicas: ${replicas}\n  selector: { matchLabels: { app: api } }\n  template:\n    metadata: { labels: { app: api } }\n    spec:\n      containers:\n        - name: echo\n          image: flatnet.dev/test-echo\n          command: [${process.execPath}, ${repoRoot()}/dist/test/helpers/echo-server-main.js, --port, "8080"]\n          ports: [{ name: http, containerPort: 8080 }]\n          readinessProbe: { httpGet: { path: /ready, port: 8080 }, periodSeconds: 1 }\n`;

  before(async () => {
    certs.shop = await selfSignedCert("shop.example", ["shop.example"]);
    certs.apps = await selfSignedCert("wildcard.apps.example", ["*.apps.example"]);
    for (const [n, pem] of Object.entries(certs)) writeFileSync(join(tmp, `${n}.crt`), pem.cert);
    const manifest = readFileSync(join(repoRoot(), "test/fixtures/lab/ingress.yaml"), "utf8")
      .replaceAll("__NODE__", process.execPath)
      .replaceAll("__REPO__", repoRoot());
    const broken = `apiVersion: v1\nkind: Secret\nmetadata: { name: broken-tls, namespace: shop }\ntype: kubernetes.io/tls\nstringData: { tls.crt: "not a certificate", tls.key: "nor a key" }\n---\n`;
    writeFileSync(
      join(tmp, "lab.yaml"),
      `${secretYaml("shop-tls", certs.shop!)}${secretYaml("apps-tls", certs.apps!)}${broken}${manifest}`,
    );
    // Namespace shop must exist before its Secrets: the loader orders kinds, so one file works.
    await flatnetOk(["up", "-f", join(tmp, "lab.yaml"), "--name", lab, "--nodes", "2", "--backend", "vxlan"]);
    nodeIPs = (await get(["nodes"])).map(
      (n) => n.status?.addresses?.find((a) => a.type === "InternalIP")?.address ?? "",
    );
    const svc = (await get(["svc", "flatnet-ingress", "-n", "flatnet-ingress"]))[0]!;
    httpPort = svc.spec.ports!.find((p) => p.name === "http")!.nodePort!;
    httpsPort = svc.spec.ports!.find((p) => p.name === "https")!.nodePort!;
    // Wait for every pod to be ready (controller synced, echo servers listening).
    for (let i = 0; i < 120; i++) {
      const pods = await get(["pods", "-A"]);
      if (pods.every((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")))
        break;
      await new Promise((r) => setTimeout(r, 1000));
    }
  });

  after(async () => {
    await flatnet(["down", "--name", lab]);
    rmSync(tmp, { recursive: true, force: true });
  });

  test("the add-on: controller pods, NodePort Service flatnet-ingress (http 80, https 443), IngressClass flatnet", async () => {
    assert.deepEqual(nodeIPs, ["172.18.0.2", "172.18.0.3"]);
    const pods = await get(["pods", "-n", "flatnet-ingress"]);
    assert.equal(pods.length, 2);
    const cls = await get(["ingressclass", "flatnet"]);
    assert.equal(
      (cls[0] as unknown as { spec: { controller: string } }).spec.controller,
      "flatnet.dev/ingress",
    );
    assert.ok(httpPort >= 30000 && httpsPort >= 30000);
    // The controller publishes where its Ingresses are served: every node (NodePort).
    const published = async () =>
      (
        (await get(["ingress", "shop", "-n", "shop"]))[0] as unknown as {
          status?: { loadBalancer?: { ingress?: Array<{ ip: string }> } };
        }
      ).status?.loadBalancer?.ingress?.map((i) => i.ip) ?? [];
    for (let i = 0; i < 50 && (await published()).length < 2; i++)
      await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await published(), nodeIPs);
    const foreign = (await get(["ingress", "foreign", "-n", "shop"]))[0] as unknown as {
      status?: { loadBalancer?: unknown };
    };
    assert.equal(foreign.status?.loadBalancer, undefined, "another class's Ingress is left alone");
  });

  test("every routing rule, on every node's NodePort", async () => {
    const cases: Array<[string, string, string]> = [
      ["shop.example", "/", "200 front"],
      ["Shop.Example", "/x/y?q=/api", "200 front"],
      ["shop.example", "/api", "200 api"],
      ["shop.example", "/api/orders", "200 api"],
      ["shop.example", "/apiary", "200 front"],
      ["shop.example", "/api/v1/status", "200 exact"],
      ["shop.example", "/api/v1/status/", "200 api"],
      ["shop.example", "/admin", "200 exact"],
      ["shop.example", "/admin/x", "200 front"],
      ["blog.apps.example", "/", "200 wild"],
      ["apps.example", "/", "404"],
      ["a.blog.apps.example", "/", "404"],
      ["other.example", "/anyhost/x", "200 wild"],
      ["legacy.example", "/", "200 api"],
      ["foreign.example", "/", "404"],
      ["errors.example", "/empty", "503"],
      ["errors.example", "/missing", "503"],
      ["nothing.example", "/", "404"],
    ];
    const got = await curlAll(cases.map(([h, p]) => ["http", h, p]));
    const want = cases.flatMap(([h, p, w]) => nodeIPs.map((ip) => `${h}${p} via ${ip}: ${w}`));
    assert.deepEqual(
      got.map((g, i) => `${want[i]!.split(": ")[0]}: ${g}`),
      want,
    );
  });

  test("requests spread over a Service's endpoints; X-Forwarded-* reach them", async () => {
    const got = await curlAll(
      Array.from({ length: 12 }, () => ["http", "shop.example", "/api/x"]),
      [nodeIPs[0]!],
      true,
    );
    assert.ok(
      got.every((g) => /^200 api-/.test(g)),
      got.join(","),
    );
    assert.equal(new Set(got).size, 2, `both api pods answer: ${got.join(",")}`);
    const raw = await external([
      "curl",
      "-s",
      "--resolve",
      `shop.example:${httpPort}:${nodeIPs[0]}`,
      `http://shop.example:${httpPort}/api/x`,
    ]);
    assert.match(raw.stdout, /"x-forwarded-proto":"http"/);
    assert.match(raw.stdout, /"x-forwarded-host":"shop.example:\d+"/);
    assert.match(raw.stdout, /"x-forwarded-for":"[\d.]+"/);
  });

  test("TLS: each host's Secret by SNI (curl verifies it), the default certificate otherwise", async () => {
    const ca = (n: string) => `--cacert ${join(tmp, `${n}.crt`)}`;
    const got = await curlAll([
      ["https", "shop.example", "/api", ca("shop")],
      ["https", "blog.apps.example", "/", ca("apps")],
      ["https", "blog.apps.example", "/", ca("shop")],
      ["https", "bad.example", "/", "-k"],
      ["https", "bad.example", "/", ca("shop")],
      ["https", "unknown.example", "/", ca("shop")],
    ]);
    // 60: the certificate does not verify (the wrong CA, or the default self-signed one).
    const twice = (s: string) => [s, s];
    assert.deepEqual(got, [
      ...twice("200 api"),
      ...twice("200 wild"),
      ...twice("curl-exit-60"),
      ...twice("404"),
      ...twice("curl-exit-60"),
      ...twice("curl-exit-60"),
    ]);
    // The controller reports the invalid Secret on its status port.
    const pod = (await get(["pods", "-n", "flatnet-ingress"]))[0]!.metadata.name;
    const status = await flatnetOk([
      "exec",
      "--name",
      lab,
      "-n",
      "flatnet-ingress",
      pod,
      "--",
      "curl",
      "-s",
      "http://127.0.0.1:10254/status",
    ]);
    assert.match(
      status,
      /Secret shop\/broken-tls is not a valid TLS certificate: tls\.crt is not a PEM certificate/,
    );
  });

  test("a WebSocket through the proxy, over HTTP and HTTPS", async () => {
    const client = join(repoRoot(), "dist/test/helpers/ws-client-main.js");
    for (const [port, tls] of [
      [httpPort, []],
      [httpsPort, ["--tls"]],
    ] as const) {
      const r = await external([
        process.execPath,
        client,
        "--host",
        nodeIPs[1]!,
        "--port",
        String(port),
        "--host-header",
        "shop.example",
        "--path",
        "/api/ws",
        ...tls,
        "--message",
        "hello",
        "--message",
        "again",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^api-[a-z0-9-]+: hello\napi-[a-z0-9-]+: again\n$/);
    }
  });

  test("load through configuration changes: not a single failed request", async () => {
    const stop = join(tmp, "stop-load");
    const load = join(repoRoot(), "dist/test/helpers/http-load-main.js");
    const run = (ip: string, extra: string[]) =>
      external([
        process.execPath,
        load,
        "--host",
        ip,
        "--host-header",
        "load.example",
        "--path",
        "/",
        "--clients",
        "8",
        "--stop-file",
        stop,
        ...extra,
      ]);
    const ingress = (svc: string) =>
      `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: load, namespace: shop }\nspec:\n  ingressClassName: flatnet\n  tls: [{ hosts: [load.example], secretName: shop-tls }]\n  rules:\n    - host: load.example\n      http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: ${svc}, port: { number: 80 } } } }] }\n`;
    await apply(ingress("front"));
    await new Promise((r) => setTimeout(r, 1500));
    const loads = [
      run(nodeIPs[0]!, ["--port", String(httpPort)]),
      run(nodeIPs[1]!, ["--port", String(httpsPort), "--tls"]),
    ];
    await new Promise((r) => setTimeout(r, 1000));
    await apply(ingress("api"));
    await new Promise((r) => setTimeout(r, 1000));
    await apply(
      secretYaml("shop-tls", await selfSignedCert("shop.example v2", ["shop.example", "load.example"])),
    );
    await new Promise((r) => setTimeout(r, 1000));
    // A third api endpoint joins while api is routed.
    await apply(apiDeployment(3));
    await new Promise((r) => setTimeout(r, 2000));
    await apply(ingress("wild"));
    await new Promise((r) => setTimeout(r, 1000));
    await apply(ingress("front"));
    await new Promise((r) => setTimeout(r, 1000));
    writeFileSync(stop, "");
    const results = await Promise.all(loads);
    for (const r of results) {
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout) as {
        ok: number;
        failed: number;
        failures: string[];
        pods: Record<string, number>;
      };
      assert.deepEqual({ failed: out.failed, failures: out.failures }, { failed: 0, failures: [] });
      assert.ok(out.ok > 100, `only ${out.ok} requests`);
      const served = new Set(Object.keys(out.pods).map((p) => p.split("-")[0]));
      assert.deepEqual([...served].sort(), ["api", "front", "wild"]);
    }
  });
});
