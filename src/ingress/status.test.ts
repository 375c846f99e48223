import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Store } from "../cluster/store.js";
import type { KObject } from "../cluster/types.js";
import { nodeAddresses, StatusPublisher, type StatusUpdate, statusUpdates } from "./status.js";
import { backend, ing, ingressClass } from "./testdata.js";

const node = (name: string, ip: string): KObject => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name },
  status: {
    addresses: [
      { type: "InternalIP", address: ip },
      { type: "Hostname", address: name },
    ],
  },
});

describe("Ingress status", () => {
  const classes = [
    ingressClass("flatnet", "flatnet.dev/ingress"),
    ingressClass("nginx", "k8s.io/ingress-nginx"),
  ];
  const nodes = [node("node-2", "172.18.0.3"), node("node-1", "172.18.0.2")];

  it("lists every node's InternalIP for flatnet's Ingresses only, and only when it changed", () => {
    assert.deepEqual(nodeAddresses(nodes), ["172.18.0.2", "172.18.0.3"]);
    const ours = ing("ours", { ingressClassName: "flatnet", defaultBackend: backend("web") });
    const theirs = ing("theirs", { ingressClassName: "nginx", defaultBackend: backend("web") });
    const updates = statusUpdates([ours, theirs], classes, nodes);
    assert.deepEqual(updates, [
      {
        namespace: "default",
        name: "ours",
        status: { loadBalancer: { ingress: [{ ip: "172.18.0.2" }, { ip: "172.18.0.3" }] } },
      },
    ]);
    const done = { ...ours, status: updates[0]!.status };
    assert.deepEqual(statusUpdates([done], classes, nodes), []);
    assert.equal(statusUpdates([done], classes, nodes.slice(0, 1)).length, 1, "a node left");
  });

  it("the publisher converges through its writer and follows node changes", async () => {
    const store = new Store();
    for (const o of [
      ...classes,
      ...nodes,
      ing("web", { ingressClassName: "flatnet", defaultBackend: backend("web") }),
    ])
      store.apply(o);
    const writes: StatusUpdate[][] = [];
    const publisher = new StatusPublisher(store, async (items) => {
      writes.push(items);
      for (const it of items) store.updateStatus("Ingress", it.namespace, it.name, it.status);
    });
    publisher.start();
    await publisher.settled();
    const ips = () =>
      (
        (store.get("Ingress", "default", "web")?.status?.loadBalancer?.ingress ?? []) as Array<{ ip: string }>
      ).map((i) => i.ip);
    assert.deepEqual(ips(), ["172.18.0.2", "172.18.0.3"]);
    store.apply(node("node-3", "172.18.0.4"));
    await new Promise((r) => setTimeout(r, 150));
    await publisher.settled();
    assert.deepEqual(ips(), ["172.18.0.2", "172.18.0.3", "172.18.0.4"]);
    // Its own status writes trigger a run that finds nothing to do.
    assert.equal(writes.length, 2);
    publisher.stop();
  });
});
