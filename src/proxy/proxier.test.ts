// The proxy loop against the store and the fake kernel: a full sync first, then deltas that
// touch only changed elements and always end where a fresh full sync would; a failed apply
// leads to a full resync; stale UDP conntrack and affinity entries are cleaned; a restart
// keeps live affinity entries that are still valid.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Store } from "../cluster/store.js";
import type { KObject } from "../cluster/types.js";
import type { Conntrack, ConntrackDeletion } from "./conntrack.js";
import { FakeProxyTable } from "./nft-fake.js";
import { ServiceProxy } from "./proxier.js";

const cfg = {
  table: "flatnet-proxy",
  clusterCIDR: "10.244.0.0/16",
  serviceCIDR: "10.96.0.0/12",
  masqueradeMark: 0x4000,
};

class RecordingConntrack implements Conntrack {
  readonly deleted: ConntrackDeletion[] = [];
  async delete(d: ConntrackDeletion): Promise<void> {
    this.deleted.push(d);
  }
}

function service(name: string, ip: string, spec: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default" },
    spec: { type: "ClusterIP", clusterIP: ip, ports: [{ name: "p", port: 53, protocol: "UDP" }], ...spec },
  };
}

function slice(svc: string, ips: string[], port = 5353, protocol = "UDP"): KObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: `${svc}-abcde`, namespace: "default", labels: { "kubernetes.io/service-name": svc } },
    addressType: "IPv4",
    ports: [{ name: "p", port, protocol }],
    endpoints: ips.map((ip) => ({
      addresses: [ip],
      nodeName: "node-1",
      conditions: { ready: true, serving: true, terminating: false },
    })),
  };
}

function setup() {
  const store = new Store();
  const table = new FakeProxyTable();
  const conntrack = new RecordingConntrack();
  const logs: string[] = [];
  const proxy = new ServiceProxy({
    source: store,
    node: "node-1",
    config: cfg,
    table,
    conntrack,
    log: (m) => logs.push(m),
    minSyncIntervalMs: 0,
    retryMs: 0,
  });
  return { store, table, conntrack, proxy, logs };
}

/** What a brand-new proxy would load for the same store. */
async function freshDump(store: Store): Promise<string> {
  const table = new FakeProxyTable();
  const p = new ServiceProxy({
    source: store,
    node: "node-1",
    config: cfg,
    table,
    conntrack: new RecordingConntrack(),
    log: () => {},
  });
  await p.start();
  p.stop();
  return table.dump();
}

describe("ServiceProxy", () => {
  it("loads everything at start, then sends only the changed elements", async () => {
    const { store, table, proxy } = setup();
    store.apply(service("dns", "10.96.0.10"));
    store.apply(slice("dns", ["10.244.1.2", "10.244.1.3"]));
    store.apply(service("web", "10.96.0.20", { ports: [{ name: "p", port: 80, protocol: "TCP" }] }));
    store.apply(slice("web", ["10.244.1.4"], 8080, "TCP"));
    await proxy.start();
    assert.equal(proxy.history[0]?.kind, "full");
    assert.deepEqual([...table.elements("service-ips")].sort(), [
      ["10.96.0.10 . udp . 53", "goto cluster-ip-2"],
      ["10.96.0.20 . tcp . 80", "goto cluster-ip-1"],
    ]);
    assert.equal(table.elements("cluster-endpoints-udp").get("10.96.0.10 . 53 . 1"), "10.244.1.3 . 5353");

    store.apply(slice("web", ["10.244.1.4", "10.244.1.5"], 8080, "TCP"));
    await proxy.settled();
    const last = table.applied.at(-1)!;
    assert.doesNotMatch(last, /10\.96\.0\.10/, "the unchanged Service is not in the transaction");
    assert.match(
      last,
      /add element ip flatnet-proxy cluster-endpoints-tcp \{ 10\.96\.0\.20 \. 80 \. 1 : 10\.244\.1\.5 \. 8080 \}/,
    );
    assert.equal(proxy.history.at(-1)?.kind, "partial");
    assert.equal(table.dump(), await freshDump(store));

    store.delete("Service", "default", "web");
    await proxy.settled();
    assert.equal(table.elements("service-ips").has("10.96.0.20 . tcp . 80"), false);
    assert.equal(table.dump(), await freshDump(store));
    assert.equal(table.chains().has("cluster-ip-1"), false, "a count chain nobody uses goes");
    proxy.stop();
  });

  it("a Service without endpoints is rejected, and gets dispatch once it has some", async () => {
    const { store, table, proxy, conntrack } = setup();
    store.apply(service("dns", "10.96.0.10"));
    await proxy.start();
    assert.equal(table.elements("no-endpoint-services").get("10.96.0.10 . udp . 53"), "goto reject-packet");
    store.apply(slice("dns", ["10.244.1.2"]));
    await proxy.settled();
    assert.equal(table.elements("no-endpoint-services").size, 0);
    assert.equal(table.elements("service-ips").get("10.96.0.10 . udp . 53"), "goto cluster-ip-1");
    assert.deepEqual(
      conntrack.deleted,
      [{ origDst: "10.96.0.10", port: 53 }],
      "entries made while it had none go",
    );
    proxy.stop();
  });

  it("a slice relabelled to another Service leaves the old one (and a label removed, too)", async () => {
    const { store, table, proxy } = setup();
    store.apply(service("dns", "10.96.0.10"));
    store.apply(service("alt", "10.96.0.11"));
    const s = slice("dns", ["10.244.1.2"]);
    store.apply(s);
    await proxy.start();
    assert.equal(table.elements("service-ips").get("10.96.0.10 . udp . 53"), "goto cluster-ip-1");
    store.apply({ ...s, metadata: { ...s.metadata, labels: { "kubernetes.io/service-name": "alt" } } });
    await proxy.settled();
    assert.equal(table.elements("no-endpoint-services").get("10.96.0.10 . udp . 53"), "goto reject-packet");
    assert.equal(table.elements("service-ips").get("10.96.0.11 . udp . 53"), "goto cluster-ip-1");
    store.apply({ ...s, metadata: { ...s.metadata, labels: {} } });
    await proxy.settled();
    assert.equal(table.elements("service-ips").size, 0, "an unlabelled slice belongs to no Service");
    assert.equal(table.dump(), await freshDump(store));
    proxy.stop();
  });

  it("deletes UDP conntrack entries NATed to a removed endpoint", async () => {
    const { store, proxy, conntrack } = setup();
    store.apply(
      service("dns", "10.96.0.10", {
        type: "NodePort",
        ports: [{ name: "p", port: 53, protocol: "UDP", nodePort: 30053 }],
      }),
    );
    store.apply(slice("dns", ["10.244.1.2", "10.244.1.3"]));
    await proxy.start();
    assert.deepEqual(conntrack.deleted, [], "a full sync never flushes conntrack");
    store.apply(slice("dns", ["10.244.1.2"]));
    await proxy.settled();
    assert.deepEqual(conntrack.deleted, [
      { origDst: "10.96.0.10", port: 53, dnatTo: "10.244.1.3" },
      { port: 30053, dnatTo: "10.244.1.3" },
    ]);
    proxy.stop();
  });

  it("after a failed apply, resyncs in full and converges", async () => {
    const { store, table, proxy, logs } = setup();
    store.apply(service("dns", "10.96.0.10"));
    store.apply(slice("dns", ["10.244.1.2"]));
    await proxy.start();
    table.failNext = "Could not process rule: Cannot allocate memory";
    store.apply(slice("dns", ["10.244.1.2", "10.244.1.7"]));
    await proxy.settled();
    assert.match(logs.join("\n"), /sync failed \(a full resync follows\): Could not process rule/);
    assert.deepEqual(
      proxy.history.map((h) => h.kind),
      ["full", "full"],
    );
    assert.equal(table.elements("cluster-endpoints-udp").get("10.96.0.10 . 53 . 1"), "10.244.1.7 . 5353");
    assert.equal(table.dump(), await freshDump(store));
    proxy.stop();
  });

  it("a sync that fails before reaching the kernel loses no change: a full resync follows", async () => {
    // An incremental sync takes its dirty marks, then computes the delta: when computing it
    // throws (here the log line for a port the proxy skips), the retry must not be another
    // incremental sync with nothing dirty, which would leave the Service rejected until its
    // next event.
    const store = new Store();
    const table = new FakeProxyTable();
    const logs: string[] = [];
    let failNextSkipLog = false;
    const proxy = new ServiceProxy({
      source: store,
      node: "node-1",
      config: cfg,
      table,
      conntrack: new RecordingConntrack(),
      log: (m) => {
        if (failNextSkipLog && /not supported/.test(m)) {
          failNextSkipLog = false;
          throw new Error("log sink unavailable");
        }
        logs.push(m);
      },
      minSyncIntervalMs: 0,
      retryMs: 0,
    });
    const ports = [
      { name: "p", port: 53, protocol: "UDP" },
      { name: "s", port: 9, protocol: "SCTP" },
    ];
    store.apply(service("dns", "10.96.0.10", { ports }));
    await proxy.start();
    assert.equal(table.elements("no-endpoint-services").get("10.96.0.10 . udp . 53"), "goto reject-packet");

    failNextSkipLog = true;
    store.apply(slice("dns", ["10.244.1.2"]));
    await proxy.settled();
    assert.match(logs.join("\n"), /sync failed \(a full resync follows\): log sink unavailable/);
    assert.equal(proxy.history.at(-1)?.kind, "full", "the retry rebuilt the table");
    assert.equal(table.elements("service-ips").get("10.96.0.10 . udp . 53"), "goto cluster-ip-1");
    assert.equal(table.elements("no-endpoint-services").size, 0);
    assert.equal(table.dump(), await freshDump(store));
    proxy.stop();
  });

  it("a restart keeps valid affinity entries, prunes stale ones, and reuses the table", async () => {
    const { store, table, proxy } = setup();
    const spec = {
      sessionAffinity: "ClientIP",
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 300 } },
      ports: [{ name: "p", port: 80, protocol: "TCP" }],
    };
    store.apply(service("web", "10.96.0.20", spec));
    store.apply(slice("web", ["10.244.1.4", "10.244.1.5"], 8080, "TCP"));
    await proxy.start();
    assert.equal(table.elements("affinity-services").get("10.96.0.20 . tcp . 80"), "jump affinity-300");
    assert.ok(table.chains().has("affinity-300"));
    table.addDynamic("affinity", "10.244.2.9 . 10.96.0.20 . tcp . 80", "10.244.1.4 . 8080");
    table.addDynamic("affinity", "10.244.2.8 . 10.96.0.20 . tcp . 80", "10.244.1.5 . 8080");
    proxy.stop();

    store.apply(slice("web", ["10.244.1.4"], 8080, "TCP"));
    const again = new ServiceProxy({
      source: store,
      node: "node-1",
      config: cfg,
      table,
      conntrack: new RecordingConntrack(),
      log: () => {},
    });
    await again.start();
    assert.deepEqual(
      [...table.elements("affinity")],
      [["10.244.2.9 . 10.96.0.20 . tcp . 80", "10.244.1.4 . 8080"]],
    );
    const fulls = table.applied.filter((t) => t.startsWith("add table ip flatnet-proxy\n"));
    assert.equal(fulls.length, 2, "one full sync per start");
    assert.doesNotMatch(fulls[1]!, /^delete table/m, "reused, not recreated");
    assert.equal(table.replaced.length, 2, "each full sync replaced the elements in one transaction");
    assert.equal(table.chains().has("cluster-ip-2"), false, "the count chain no longer used was cleaned up");

    store.apply(slice("web", ["10.244.1.6"], 8080, "TCP"));
    await again.settled();
    assert.deepEqual([...table.elements("affinity")], [], "an entry naming a removed endpoint is deleted");
    again.stop();
  });
});
