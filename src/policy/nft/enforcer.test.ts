// The enforcer loop against the store and the fake kernel: a full sync first, then deltas that
// touch only the elements a change moves and always end where a fresh full sync would; pod
// status changes policy cannot see cause no work; a failed apply leads to a full resync; the
// `synced` element follows the store's resourceVersion; packets are judged as the model says.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Store } from "../../cluster/store.js";
import type { KObject } from "../../cluster/types.js";
import { desiredElements } from "./elements.js";
import { PolicyEnforcer } from "./enforcer.js";
import { FakePolicyTable, type Packet } from "./fake.js";
import { renderFull } from "./render.js";
import { SYNCED } from "./ruleset.js";

function pod(ns: string, name: string, ip: string, node: string, labels: Record<string, string>): KObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels },
    spec: {
      nodeName: node,
      containers: [{ name: "c", image: "x", ports: [{ name: "http", containerPort: 8080 }] }],
    },
    status: { phase: "Running", podIP: ip, podIPs: [{ ip }] },
  };
}

function policy(ns: string, name: string, spec: Record<string, unknown>): KObject {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace: ns },
    spec,
  };
}

const namespace = (name: string, labels: Record<string, string> = {}): KObject => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: { name, labels },
});

function setup() {
  const store = new Store();
  store.apply(namespace("web", { team: "a" }));
  store.apply(namespace("db", { team: "b" }));
  store.apply(pod("web", "front", "10.244.1.2", "node-1", { app: "front" }));
  store.apply(pod("web", "api", "10.244.1.3", "node-1", { app: "api" }));
  store.apply(pod("db", "pg", "10.244.2.2", "node-2", { app: "pg" }));
  const table = new FakePolicyTable();
  const logs: string[] = [];
  const enforcer = new PolicyEnforcer({
    source: store,
    node: "node-1",
    table,
    log: (m) => logs.push(m),
    minSyncIntervalMs: 1,
    retryMs: 5,
  });
  return { store, table, logs, enforcer };
}

const tcp = (saddr: string, daddr: string, dport: number): Packet => ({
  saddr,
  daddr,
  protocol: "tcp",
  dport,
});

describe("PolicyEnforcer", () => {
  it("programs the node's table in full first, then only what a policy change moves", async () => {
    const { store, table, enforcer } = setup();
    await enforcer.start();
    assert.equal(enforcer.history.length, 1);
    assert.equal(enforcer.history[0]!.kind, "full");
    assert.equal(table.judge("forward", tcp("10.244.2.2", "10.244.1.3", 8080)).verdict, "accept");

    store.apply(
      policy("web", "api-from-front", {
        podSelector: { matchLabels: { app: "api" } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "front" } } }], ports: [{ port: "http" }] }],
      }),
    );
    await enforcer.settled();
    const last = enforcer.history.at(-1)!;
    assert.equal(last.kind, "partial");
    assert.equal(last.policies, 1);
    // Isolated pod, its allowed element, front's identity, self, and the version moved.
    assert.ok(last.changes > 0 && last.changes <= 8, `changes: ${last.changes}`);
    assert.doesNotMatch(table.applied.at(-1)!, /add table|add chain|add rule/);
    assert.equal(table.judge("forward", tcp("10.244.1.2", "10.244.1.3", 8080)).verdict, "accept");
    assert.equal(table.judge("forward", tcp("10.244.1.2", "10.244.1.3", 80)).verdict, "drop");
    assert.equal(table.judge("forward", tcp("10.244.2.2", "10.244.1.3", 8080)).verdict, "drop");
    assert.equal(
      table.judge("forward", { ...tcp("10.244.2.2", "10.244.1.3", 8080), ct: "established" }).verdict,
      "accept",
    );

    // The same table a fresh full sync of the current state gives.
    const fresh = new FakePolicyTable();
    await fresh.apply(renderFull(desiredElements(enforcer.currentModel()!, "node-1").elements));
    const strip = (d: string) => d.replace(/(set synced \{[^}]*\})\n {2}\d+/, "$1");
    assert.equal(strip(table.dump()), strip(fresh.dump()));
    enforcer.stop();
  });

  it("labels that move a pod into a policy's peers update the identity maps", async () => {
    const { store, table, enforcer } = setup();
    store.apply(
      policy("web", "api-from-team-b", {
        podSelector: { matchLabels: { app: "api" } },
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: "b" } },
                podSelector: { matchLabels: { role: "client" } },
              },
            ],
          },
        ],
      }),
    );
    await enforcer.start();
    assert.equal(table.judge("forward", tcp("10.244.2.2", "10.244.1.3", 80)).verdict, "drop");
    store.apply(pod("db", "pg", "10.244.2.2", "node-2", { app: "pg", role: "client" }));
    await enforcer.settled();
    assert.equal(table.judge("forward", tcp("10.244.2.2", "10.244.1.3", 80)).verdict, "accept");
    enforcer.stop();
  });

  it("ignores pod changes policy cannot see (readiness), and records the newest version", async () => {
    const { store, table, enforcer } = setup();
    await enforcer.start();
    const before = enforcer.history.length;
    const p = store.get("Pod", "web", "front")!;
    store.updateStatus("Pod", "web", "front", {
      ...p.status,
      conditions: [{ type: "Ready", status: "True" }],
    });
    await new Promise((r) => setTimeout(r, 20));
    await enforcer.settled();
    assert.equal(enforcer.history.length, before);
    const np = store.apply(policy("db", "deny", { podSelector: {} }));
    await enforcer.settled();
    assert.deepEqual([...(await table.elements(SYNCED)).keys()], [np.metadata.resourceVersion]);
    enforcer.stop();
  });

  it("resyncs the whole table after a failed transaction", async () => {
    const { store, table, enforcer, logs } = setup();
    await enforcer.start();
    table.failNext = "netlink: Error: Could not process rule: No buffer space available";
    store.apply(policy("web", "deny-all", { podSelector: {} }));
    await enforcer.settled();
    assert.ok(logs.some((l) => l.includes("full resync follows")));
    assert.deepEqual(
      enforcer.history.map((h) => h.kind),
      ["full", "full"],
    );
    assert.equal(table.judge("forward", tcp("10.244.2.2", "10.244.1.2", 80)).verdict, "drop");
    enforcer.stop();
  });

  it("leaves out a policy that does not compile and says so", async () => {
    const { store, table, enforcer, logs } = setup();
    store.apply(
      policy("web", "bad", { podSelector: {}, ingress: [{ ports: [{ protocol: "ICMP", port: 1 }] }] }),
    );
    store.apply(policy("web", "deny-front", { podSelector: { matchLabels: { app: "front" } } }));
    await enforcer.start();
    assert.ok(logs.some((l) => l.includes("web/bad left out")));
    assert.equal(table.judge("forward", tcp("10.244.2.2", "10.244.1.2", 80)).verdict, "drop");
    assert.equal(table.judge("forward", tcp("10.244.2.2", "10.244.1.3", 80)).verdict, "accept");
    enforcer.stop();
  });
});
