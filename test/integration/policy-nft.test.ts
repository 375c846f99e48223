/**
 * NetworkPolicy enforcement on real kernels: two nodes (host-gw pod network, cni0 bridges)
 * with two pods each, an external client on the underlay, the service proxy and one
 * PolicyEnforcer per node fed from one store. Real connections (socat) prove: ingress
 * isolation across nodes and between pods bridged on one node, ports per protocol, egress
 * ipBlock with except judged on the Service's backend after DNAT (the VIP itself would be
 * allowed), a NodePort judged on the backend with the client's address, the node reaching
 * its own pods while other nodes may not, replies of allowed connections through an
 * egress-isolated pod, a pod's egress to its own node, an incremental change that opens a
 * path, and an established connection surviving a full resync. The kernel's sets equal what
 * the enforcer sent.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EndpointSliceController } from "../../src/cluster/controllers/endpointslice-controller.js";
import { Store } from "../../src/cluster/store.js";
import type { KObject } from "../../src/cluster/types.js";
import { run } from "../../src/kernel/exec.js";
import { createNetns } from "../../src/kernel/netns.js";
import { PolicyEnforcer } from "../../src/policy/nft/enforcer.js";
import { ensureBridgedTrafficFiltered } from "../../src/policy/nft/node-policy.js";
import { DECLARATIONS } from "../../src/policy/nft/ruleset.js";
import { NftPolicyTable } from "../../src/policy/nft/table.js";
import { ConntrackTool } from "../../src/proxy/conntrack.js";
import { NftProxyTable } from "../../src/proxy/nft.js";
import { ServiceProxy } from "../../src/proxy/proxier.js";
import { PROXY_TABLE } from "../../src/proxy/ruleset.js";
import { MiniLab } from "../helpers/minilab.js";
import { ask, NameServers } from "../helpers/name-servers.js";
import { execIn } from "../helpers/nsproc.js";

const TCP = 9000;
const UDP = 9001;
const EXTERNAL_IP = "172.18.255.100";
const VIP = "10.96.0.30";

function pod(name: string, node: string, ip: string, app: string): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { app } },
    spec: { nodeName: node, containers: [{ name: "c", ports: [{ name: "serve", containerPort: TCP }] }] },
    status: { phase: "Running", podIP: ip, conditions: [{ type: "Ready", status: "True" }] },
  };
}

function policy(name: string, spec: Record<string, unknown>): KObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace: "default" },
    spec,
  };
}

/** db (n2p2): ingress from web and other on TCP, from web only on UDP, from the external client; no egress. */
const DB_POLICY = policy("db", {
  podSelector: { matchLabels: { app: "db" } },
  policyTypes: ["Ingress", "Egress"],
  ingress: [
    {
      from: [
        { podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["web", "other"] }] } },
      ],
      ports: [{ port: "serve" }],
    },
    { from: [{ podSelector: { matchLabels: { app: "web" } } }], ports: [{ protocol: "UDP", port: UDP }] },
    { from: [{ ipBlock: { cidr: `${EXTERNAL_IP}/32` } }], ports: [{ protocol: "TCP", port: TCP }] },
  ],
});

/** other (n1p2): egress to Services and to node n2's pods except db's address. */
const OTHER_POLICY = policy("other", {
  podSelector: { matchLabels: { app: "other" } },
  policyTypes: ["Egress"],
  egress: [
    {
      to: [
        { ipBlock: { cidr: "10.96.0.0/12" } },
        { ipBlock: { cidr: "10.244.2.0/24", except: ["10.244.2.3/32"] } },
      ],
    },
  ],
});

const settle = () => new Promise((r) => setTimeout(r, 30));

describe("NetworkPolicy enforcement on real namespaces", { timeout: 180_000 }, () => {
  let lab: MiniLab;
  const store = new Store();
  const servers = new NameServers();
  const enforcers = new Map<string, PolicyEnforcer>();
  const proxies: ServiceProxy[] = [];
  let controller: EndpointSliceController;
  let ext = "";
  const ns = (p: string) => lab.pods.find((x) => x.name === p)!.ns;
  const ip = (p: string) => lab.pods.find((x) => x.name === p)!.ip;
  const logs: string[] = [];

  async function synced(): Promise<void> {
    await settle();
    for (const e of enforcers.values()) await e.settled();
    for (const p of proxies) await p.settled();
  }

  const reach = async (from: string, to: string, port = TCP, proto: "tcp" | "udp" = "tcp") =>
    (await ask(from, to, port, proto, { timeoutSec: 1 })).ok;

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
    store.apply(pod("n1p1", "n1", ip("n1p1"), "web"));
    store.apply(pod("n1p2", "n1", ip("n1p2"), "other"));
    store.apply(pod("n2p1", "n2", ip("n2p1"), "web"));
    store.apply(pod("n2p2", "n2", ip("n2p2"), "db"));
    store.apply({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "db", namespace: "default" },
      spec: {
        type: "NodePort",
        clusterIP: VIP,
        externalTrafficPolicy: "Local",
        selector: { app: "db" },
        ports: [{ name: "tcp", port: 80, protocol: "TCP", targetPort: TCP, nodePort: 30090 }],
      },
    });
    store.apply(DB_POLICY);
    store.apply(OTHER_POLICY);
    await settle();
    for (const n of lab.nodes) {
      const proxy = new ServiceProxy({
        source: store,
        node: n.name,
        config: {
          table: PROXY_TABLE,
          clusterCIDR: "10.244.0.0/16",
          serviceCIDR: "10.96.0.0/12",
          masqueradeMark: 0x4000,
        },
        table: new NftProxyTable(n.ns, PROXY_TABLE),
        conntrack: new ConntrackTool(n.ns),
        log: (m) => logs.push(`${n.name}: ${m}`),
        minSyncIntervalMs: 10,
      });
      await proxy.start();
      proxies.push(proxy);
      await ensureBridgedTrafficFiltered(n.ns);
      const enforcer = new PolicyEnforcer({
        source: store,
        node: n.name,
        table: new NftPolicyTable(n.ns),
        log: (m) => logs.push(`${n.name}: ${m}`),
        minSyncIntervalMs: 10,
        retryMs: 200,
      });
      await enforcer.start();
      enforcers.set(n.name, enforcer);
    }
  });

  after(async () => {
    for (const e of enforcers.values()) e.stop();
    for (const p of proxies) p.stop();
    controller?.stop();
    await servers.stopAll();
    await lab?.destroy();
  });

  it("programs the kernel with exactly the elements the enforcer computed", async () => {
    for (const n of lab.nodes) {
      const sent = enforcers.get(n.name)!.programmed()!;
      const table = new NftPolicyTable(n.ns);
      for (const set of DECLARATIONS.keys()) {
        const kernel = [...(await table.elements(set))].map(([k, v]) => `${k}${v ? ` : ${v}` : ""}`).sort();
        const want = [...sent.get(set)!].map(([k, v]) => `${k}${v ? ` : ${v}` : ""}`).sort();
        assert.deepEqual(kernel, want, `${n.name} ${set}`);
      }
    }
    assert.ok(sent(enforcers.get("n2")!, "ingress-isolated").includes(ip("n2p2")));
  });

  it("isolates ingress across nodes and between pods bridged on one node, per port and protocol", async () => {
    assert.equal(await reach(ns("n1p1"), ip("n2p2")), true, "web on n1 -> db (TCP)");
    assert.equal(await reach(ns("n2p1"), ip("n2p2")), true, "web on n2 -> db, bridged (TCP)");
    assert.equal(await reach(ns("n1p1"), ip("n2p2"), UDP, "udp"), true, "web -> db (UDP)");
    assert.equal(await reach(ns("n2p1"), ip("n2p2"), UDP, "udp"), true, "web on n2 -> db, bridged (UDP)");
    assert.equal(await reach(ns("n1p2"), ip("n2p2"), UDP, "udp"), false, "other -> db (UDP): web only");
    // Not isolated for ingress: everybody reaches n1p1, bridged or routed.
    assert.equal(await reach(ns("n1p2"), ip("n1p1")), false, "other's egress allows no 10.244.1.0/24");
    assert.equal(await reach(ns("n2p1"), ip("n1p1")), true);
  });

  it("judges egress on the Service's backend after DNAT, with ipBlock except", async () => {
    assert.equal(await reach(ns("n1p2"), ip("n2p1")), true, "other -> 10.244.2.2 (in the block)");
    assert.equal(await reach(ns("n1p2"), ip("n2p2")), false, "other -> 10.244.2.3 (the except)");
    assert.equal(
      await reach(ns("n1p2"), VIP, 80),
      false,
      "other -> VIP: the VIP is allowed, db's address is not",
    );
    assert.equal(await reach(ns("n1p1"), VIP, 80), true, "web -> VIP -> db");
  });

  it("judges a NodePort connection on the backend, with the client's address", async () => {
    const n2 = lab.node("n2").nodeIP;
    assert.equal(await reach(ext, n2, 30090), true, "external client in db's ipBlock");
    assert.equal(await reach(lab.node("n1").ns, n2, 30090), false, "node n1's address is not in it");
  });

  it("judges a pod's egress to its own node (input hook)", async () => {
    const gateway = lab.node("n1").gateway;
    assert.equal(
      (await execIn(ns("n1p1"), ["ping", "-c", "1", "-W", "1", gateway])).code,
      0,
      "web: not isolated",
    );
    assert.notEqual(
      (await execIn(ns("n1p2"), ["ping", "-c", "1", "-W", "1", gateway])).code,
      0,
      "other: egress isolated",
    );
  });

  it("lets a node reach its own pods, not other nodes' isolated pods", async () => {
    assert.equal(await reach(lab.node("n2").ns, ip("n2p2")), true, "own node");
    assert.equal(await reach(lab.node("n1").ns, ip("n2p2")), false, "another node");
  });

  it("lets replies of allowed connections through an egress-isolated pod, and nothing new", async () => {
    // db denies all egress, yet answered every allowed connection above.
    assert.equal(await reach(ns("n2p2"), ip("n2p1")), false, "db -> web: a new connection");
    assert.equal(await reach(ns("n1p1"), ip("n2p2")), true);
  });

  it("opens a path with an incremental change, and keeps connections over a full resync", async () => {
    store.delete("NetworkPolicy", "default", "other");
    await synced();
    const last = enforcers.get("n1")!.history.at(-1)!;
    assert.equal(last.kind, "partial");
    assert.ok(last.changes < 20, `changes: ${last.changes}`);
    assert.equal(await reach(ns("n1p2"), ip("n2p2")), true, "other -> db, other no longer isolated");

    // A client that asks twice on one connection, with a full resync of both tables between.
    const client = execIn(ns("n1p1"), [
      "python3",
      "-c",
      `import socket,time
s=socket.create_connection(("${ip("n2p2")}",${TCP}),timeout=3)
s.sendall(b"one\\n"); a=s.recv(100); time.sleep(1.5); s.sendall(b"two\\n"); b=s.recv(100)
print(a.decode().strip()); print(b.decode().strip())`,
    ]);
    await new Promise((r) => setTimeout(r, 500));
    for (const e of enforcers.values()) e.resync();
    await synced();
    assert.equal(enforcers.get("n2")!.history.at(-1)!.kind, "full");
    const out = await client;
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(
      out.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(" ")[0]),
      ["n2p2", "n2p2"],
    );
    assert.deepEqual(
      logs.filter((l) => /failed/.test(l)),
      [],
    );
  });
});

function sent(e: PolicyEnforcer, set: string): string[] {
  return [...(e.programmed()?.get(set)?.keys() ?? [])];
}
