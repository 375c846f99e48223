/**
 * The service proxy on real kernels: two nodes (host-gw pod network) with two pods each and
 * an external client on the underlay, the EndpointSlice controller and one ServiceProxy per
 * node fed from one store. Real connections (socat) prove ClusterIP spread with the client IP
 * kept, UDP, refusal without endpoints, hairpin, NodePort from outside on every node with
 * externalTrafficPolicy Cluster and Local, affinity, a node and an outside router reaching
 * ClusterIPs, endpoint removal (no new connections, UDP conntrack flushed), a restart over a
 * table with leftovers (reused, leftovers deleted), and established connections surviving a
 * proxy restart. The kernel's maps equal the fake kernel's.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EndpointSliceController } from "../../src/cluster/controllers/endpointslice-controller.js";
import { Store } from "../../src/cluster/store.js";
import type { KObject } from "../../src/cluster/types.js";
import { run } from "../../src/kernel/exec.js";
import { createNetns } from "../../src/kernel/netns.js";
import { ConntrackTool } from "../../src/proxy/conntrack.js";
import { NftProxyTable } from "../../src/proxy/nft.js";
import { FakeProxyTable } from "../../src/proxy/nft-fake.js";
import { ServiceProxy } from "../../src/proxy/proxier.js";
import { PROXY_TABLE, STATIC_ELEMENT_SETS } from "../../src/proxy/ruleset.js";
import { ensureServiceRoute } from "../../src/proxy/service-route.js";
import { MiniLab } from "../helpers/minilab.js";
import { ask, NameServers } from "../helpers/name-servers.js";
import { ProcessGroup } from "../helpers/nsproc.js";

const TCP = 9000;
const UDP = 9001;
const EXTERNAL_IP = "172.18.0.100";
const cfg = {
  table: PROXY_TABLE,
  clusterCIDR: "10.244.0.0/16",
  serviceCIDR: "10.96.0.0/12",
  masqueradeMark: 0x4000,
};

function pod(name: string, node: string, ip: string, labels: Record<string, string>): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels },
    spec: { nodeName: node, containers: [{ name: "c", ports: [{ name: "serve", containerPort: TCP }] }] },
    status: { phase: "Running", podIP: ip, conditions: [{ type: "Ready", status: "True" }] },
  };
}

function service(
  name: string,
  ip: string,
  selector: Record<string, string>,
  spec: Record<string, unknown> = {},
): KObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default" },
    spec: {
      type: "ClusterIP",
      clusterIP: ip,
      selector,
      ports: [
        { name: "tcp", port: 80, protocol: "TCP", targetPort: "serve" },
        { name: "udp", port: 53, protocol: "UDP", targetPort: UDP },
      ],
      ...spec,
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

describe("service proxy on real namespaces", { timeout: 180_000 }, () => {
  let lab: MiniLab;
  const store = new Store();
  const servers = new NameServers();
  const procs = new ProcessGroup();
  const proxies = new Map<string, ServiceProxy>();
  let controller: EndpointSliceController;
  let ext = "";
  const ip = (pod: string) => lab.pods.find((p) => p.name === pod)!.ip;
  const ns = (pod: string) => lab.pods.find((p) => p.name === pod)!.ns;
  const logs: string[] = [];

  async function startProxy(node: string): Promise<ServiceProxy> {
    const n = lab.node(node);
    const proxy = new ServiceProxy({
      source: store,
      node,
      config: cfg,
      table: new NftProxyTable(n.ns, PROXY_TABLE),
      conntrack: new ConntrackTool(n.ns),
      log: (m) => logs.push(`${node}: ${m}`),
      minSyncIntervalMs: 10,
      retryMs: 200,
    });
    await proxy.start();
    proxies.set(node, proxy);
    return proxy;
  }

  async function synced(): Promise<void> {
    await settle();
    for (const p of proxies.values()) await p.settled();
  }

  before(async () => {
    lab = await MiniLab.create({ nodes: 2, podsPerNode: 2, strictRpFilter: false });
    await lab.applyBackend("host-gw");
    ext = `${lab.prefix}ext`;
    await createNetns(ext);
    await run(["ip", "-batch", "-"], {
      netns: lab.underlayNs,
      input: `link add uext type veth peer name eth0 netns ${ext}\nlink set uext master br0 up\n`,
    });
    await run(["ip", "-batch", "-"], {
      netns: ext,
      input: `address add ${EXTERNAL_IP}/16 dev eth0\nlink set eth0 up\n`,
    });
    for (const p of lab.pods) await servers.start(p.ns, p.name, TCP, UDP);
    controller = new EndpointSliceController(store);
    controller.start();
    store.apply(pod("n1p1", "n1", ip("n1p1"), { app: "web", local: "yes" }));
    store.apply(pod("n2p1", "n2", ip("n2p1"), { app: "web" }));
    store.apply(pod("n1p2", "n1", ip("n1p2"), { app: "solo" }));
    store.apply(
      service(
        "web",
        "10.96.0.20",
        { app: "web" },
        {
          type: "NodePort",
          ports: [
            { name: "tcp", port: 80, protocol: "TCP", targetPort: "serve", nodePort: 30080 },
            { name: "udp", port: 53, protocol: "UDP", targetPort: UDP, nodePort: 30053 },
          ],
        },
      ),
    );
    store.apply(
      service(
        "local",
        "10.96.0.21",
        { local: "yes" },
        {
          type: "NodePort",
          externalTrafficPolicy: "Local",
          ports: [{ name: "tcp", port: 80, protocol: "TCP", targetPort: TCP, nodePort: 30081 }],
        },
      ),
    );
    store.apply(
      service(
        "sticky",
        "10.96.0.22",
        { app: "web" },
        {
          sessionAffinity: "ClientIP",
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
        },
      ),
    );
    store.apply(service("empty", "10.96.0.23", { app: "nobody" }));
    store.apply(service("solo", "10.96.0.24", { app: "solo" }));
    await settle();
    for (const n of lab.nodes) await startProxy(n.name);
  });

  after(async () => {
    for (const p of proxies.values()) p.stop();
    controller?.stop();
    await procs.stopAll();
    await servers.stopAll();
    await lab?.destroy();
  });

  it("programs the kernel with exactly the elements the fake gets", async () => {
    const fake = new FakeProxyTable();
    const p = new ServiceProxy({
      source: store,
      node: "n1",
      config: cfg,
      table: fake,
      conntrack: new ConntrackTool(lab.node("n1").ns),
      log: () => {},
    });
    await p.start();
    p.stop();
    const real = new NftProxyTable(lab.node("n1").ns, PROXY_TABLE);
    for (const set of STATIC_ELEMENT_SETS) {
      const kernel = (await real.listElements(set)).map(
        (e) => `${e.key.join(" . ")}${e.value.length ? ` : ${e.value.join(" . ")}` : ""}`,
      );
      const expected = [...fake.elements(set)].map(([k, v]) => `${k}${v ? ` : ${v}` : ""}`);
      assert.deepEqual(kernel.sort(), expected.sort(), `set ${set}`);
    }
  });

  it("spreads ClusterIP connections over endpoints on both nodes, keeping the client IP", async () => {
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const a = await ask(ns("n1p2"), "10.96.0.20", 80, "tcp");
      assert.ok(a.ok, a.stderr);
      assert.equal(a.client, ip("n1p2"), "no SNAT for pod clients");
      seen.set(a.name!, (seen.get(a.name!) ?? 0) + 1);
    }
    assert.deepEqual([...seen.keys()].sort(), ["n1p1", "n2p1"]);
  });

  it("serves UDP through the ClusterIP", async () => {
    const a = await ask(ns("n2p2"), "10.96.0.20", 53, "udp");
    assert.ok(a.ok, a.stderr);
    assert.match(a.name!, /^n[12]p1$/);
    assert.equal(a.client, ip("n2p2"));
  });

  it("refuses at once when a Service has no endpoints", async () => {
    const a = await ask(ns("n1p2"), "10.96.0.23", 80, "tcp");
    assert.equal(a.ok, false);
    assert.match(a.stderr, /Connection refused/);
    assert.ok(a.ms < 1000, `refused after ${a.ms} ms`);
  });

  it("hairpin: a pod reaches itself through its Service", async () => {
    // The CNI plugin turns hairpin mode on for every pod port; the minilab's plain veths need it.
    await run(["ip", "link", "set", "vp2", "type", "bridge_slave", "hairpin", "on"], {
      netns: lab.node("n1").ns,
    });
    const a = await ask(ns("n1p2"), "10.96.0.24", 80, "tcp");
    assert.ok(a.ok, a.stderr);
    assert.equal(a.name, "n1p2");
    assert.equal(
      a.client,
      lab.node("n1").gateway,
      "masqueraded to the bridge address so the answer comes back",
    );
  });

  it("NodePort answers from outside on every node (externalTrafficPolicy Cluster, masqueraded)", async () => {
    for (const n of lab.nodes) {
      const names = new Set<string>();
      for (let i = 0; i < 8; i++) {
        const a = await ask(ext, n.nodeIP, 30080, "tcp");
        assert.ok(a.ok, `${n.nodeIP}:30080 ${a.stderr}`);
        assert.notEqual(a.client, EXTERNAL_IP);
        names.add(a.name!);
      }
      assert.ok(names.size >= 1);
    }
    const udp = await ask(ext, lab.node("n2").nodeIP, 30053, "udp");
    assert.ok(udp.ok, udp.stderr);
  });

  it("externalTrafficPolicy Local keeps the client IP and does not serve from a node without an endpoint", async () => {
    const a = await ask(ext, lab.node("n1").nodeIP, 30081, "tcp");
    assert.ok(a.ok, a.stderr);
    assert.equal(a.name, "n1p1");
    assert.equal(a.client, EXTERNAL_IP);
    const b = await ask(ext, lab.node("n2").nodeIP, 30081, "tcp", { timeoutSec: 1 });
    assert.equal(b.ok, false);
    assert.doesNotMatch(b.stderr, /refused/, "dropped, not refused");
  });

  it("ClientIP affinity keeps a client on one endpoint", async () => {
    const names = new Set<string>();
    for (let i = 0; i < 12; i++) names.add((await ask(ns("n2p2"), "10.96.0.22", 80, "tcp")).name ?? "none");
    assert.equal(names.size, 1, [...names].join(","));
  });

  it("a node, and an outside router, reach ClusterIPs (masqueraded from outside the cluster CIDR)", async () => {
    const n1 = lab.node("n1");
    await ensureServiceRoute(n1.ns, cfg.serviceCIDR, "eth0");
    const a = await ask(n1.ns, "10.96.0.21", 80, "tcp");
    assert.ok(a.ok, a.stderr);
    await run(["ip", "route", "replace", cfg.serviceCIDR, "via", lab.node("n2").nodeIP], { netns: ext });
    for (let i = 0; i < 6; i++) {
      const b = await ask(ext, "10.96.0.20", 80, "tcp");
      assert.ok(b.ok, b.stderr);
      assert.notEqual(b.client, EXTERNAL_IP);
    }
  });

  it("an endpoint removed takes no new connections and its UDP flows move", async () => {
    const from = ns("n2p2");
    const first = await ask(from, "10.96.0.20", 53, "udp", { sourcePort: 40123 });
    assert.ok(first.ok, first.stderr);
    const gone = first.name!;
    const again = await ask(from, "10.96.0.20", 53, "udp", { sourcePort: 40123 });
    assert.equal(again.name, gone, "a UDP flow sticks to its endpoint through conntrack");
    store.updateStatus("Pod", "default", gone, {
      phase: "Running",
      podIP: ip(gone),
      conditions: [{ type: "Ready", status: "False" }],
    });
    await synced();
    const moved = await ask(from, "10.96.0.20", 53, "udp", { sourcePort: 40123 });
    assert.ok(moved.ok, moved.stderr);
    assert.notEqual(moved.name, gone, "the stale conntrack entry was deleted");
    for (let i = 0; i < 10; i++) assert.notEqual((await ask(from, "10.96.0.20", 80, "tcp")).name, gone);
    store.updateStatus("Pod", "default", gone, {
      phase: "Running",
      podIP: ip(gone),
      conditions: [{ type: "Ready", status: "True" }],
    });
    await synced();
  });

  it("a restart over a table with leftovers reuses it and deletes what is no longer wanted", async () => {
    const n1 = lab.node("n1");
    proxies.get("n1")!.stop();
    await run(["nft", "-f", "-"], {
      netns: n1.ns,
      input: [
        `add chain ip ${PROXY_TABLE} cluster-ip-99`,
        `add rule ip ${PROXY_TABLE} cluster-ip-99 counter`,
        `add set ip ${PROXY_TABLE} old-set { type ipv4_addr; }`,
        `add element ip ${PROXY_TABLE} service-ips { 10.96.0.99 . tcp . 80 : goto cluster-ip-99 }`,
        "",
      ].join("\n"),
    });
    await startProxy("n1");
    const table = new NftProxyTable(n1.ns, PROXY_TABLE);
    const objects = (await table.objects())!;
    assert.equal(objects.chains.includes("cluster-ip-99"), false, objects.chains.join(","));
    assert.equal(objects.sets.includes("old-set"), false, objects.sets.join(","));
    const vips = (await table.listElements("service-ips")).map((e) => e.key[0]);
    assert.equal(vips.includes("10.96.0.99"), false, "the stray element went with the flush");
    const a = await ask(ns("n1p2"), "10.96.0.20", 80, "tcp");
    assert.ok(a.ok, a.stderr);
  });

  it("established connections survive a proxy restart", async () => {
    const script = [
      "import socket,time,sys",
      "s=socket.create_connection(('10.96.0.20',80),timeout=3)",
      "f=s.makefile()",
      "for i in range(25):",
      "  s.sendall(b'x\\n'); print(f.readline().strip(), flush=True); time.sleep(0.08)",
    ].join("\n");
    const client = procs.spawn(ns("n1p2"), ["python3", "-c", script]);
    await new Promise((r) => setTimeout(r, 400));
    proxies.get("n1")!.stop();
    await startProxy("n1");
    const code = await client.exited;
    assert.equal(code, 0, client.stderr());
    const lines = client.stdout().trim().split("\n");
    assert.equal(lines.length, 25);
    assert.equal(new Set(lines).size, 1, "every answer over the one connection");
    assert.deepEqual(
      logs.filter((l) => /failed/.test(l)),
      [],
    );
  });
});
