import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { validateObject } from "../api/index.js";
import { Store } from "../cluster/store.js";
import type { WatchEvent } from "../cluster/types.js";
import { type RpcServer, serveRpc, streamResult } from "../lab/rpc.js";
import { clusterDnsIp, dnsAddonObjects } from "./addon.js";
import { DaemonWatchSource } from "./daemon-source.js";
import { service } from "./testdata.js";

function watchMethod(store: Store) {
  return {
    watch: (p: { kinds: string[] }) =>
      streamResult((emit) => {
        const kinds = new Set(p.kinds);
        const unwatch = store.watch((ev) => kinds.has(ev.object.kind) && emit(ev));
        for (const k of kinds) for (const object of store.list(k)) emit({ type: "ADDED", object });
        emit({ type: "SYNCED" });
        return unwatch;
      }),
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test("the daemon watch stream: snapshot, live events, and a resync after a reconnect", async () => {
  const dir = mkdtempSync(join(tmpdir(), "flatnet-dns-watch-"));
  const socket = join(dir, "api.sock");
  const store = new Store();
  store.apply(service("shop", "a", { clusterIP: "10.96.0.1" }));
  store.apply(service("shop", "b", { clusterIP: "10.96.0.2" }));
  let server: RpcServer | undefined = await serveRpc(socket, watchMethod(store));
  const source = new DaemonWatchSource(socket, ["Service"]);
  const events: string[] = [];
  try {
    source.watch((ev: WatchEvent) => events.push(`${ev.type} ${ev.object.metadata.name}`));
    await source.start();
    assert.deepEqual(
      source
        .list("Service")
        .map((s) => s.metadata.name)
        .sort(),
      ["a", "b"],
    );
    store.apply(service("shop", "c", { clusterIP: "10.96.0.3" }));
    store.apply({ apiVersion: "v1", kind: "Pod", metadata: { name: "ignored", namespace: "shop" } });
    await until(() => source.get("Service", "shop", "c") !== undefined, "Service c");
    assert.equal(source.get("Pod", "shop", "ignored"), undefined);
    // The daemon goes away; meanwhile b is deleted and a changes; then it is back.
    // (The client's connection is cut first: a server closes only once its clients left.)
    events.length = 0;
    (source as unknown as { conn: { destroy(): void } }).conn.destroy();
    await server.close();
    server = undefined;
    assert.equal(source.list("Service").length, 3); // still served from the mirror
    store.delete("Service", "shop", "b");
    store.apply(service("shop", "a", { clusterIP: "10.96.0.9" }));
    server = await serveRpc(socket, watchMethod(store));
    await until(() => source.get("Service", "shop", "b") === undefined, "the resync to drop b");
    assert.equal(source.get("Service", "shop", "a")?.spec.clusterIP, "10.96.0.9");
    assert.deepEqual(events.sort(), ["DELETED b", "MODIFIED a"]);
  } finally {
    source.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the add-on objects are valid Kubernetes objects at the tenth service address", () => {
  assert.equal(clusterDnsIp("10.96.0.0/12"), "10.96.0.10");
  assert.equal(clusterDnsIp("fd00:10:96::/112"), "fd00:10:96::a");
  const objs = dnsAddonObjects({
    serviceSubnet: "10.96.0.0/12",
    dnsDomain: "cluster.local",
    upstreamDNS: ["192.0.2.53"],
    labSocket: "/run/x.sock",
    node: "/usr/bin/node",
    entry: "/opt/flatnet/dist/src/dns/main.js",
  });
  for (const o of objs) assert.deepEqual(validateObject(o.kind as "Service", o as never), [], o.kind);
  const [svc, deploy] = objs;
  assert.equal(svc!.spec.clusterIP, "10.96.0.10");
  assert.deepEqual(
    svc!.spec.ports.map(
      (p: { name: string; port: number; protocol: string }) => `${p.name} ${p.port}/${p.protocol}`,
    ),
    ["dns 53/UDP", "dns-tcp 53/TCP"],
  );
  assert.deepEqual(deploy!.spec.template.spec.containers[0].command, [
    "/usr/bin/node",
    "/opt/flatnet/dist/src/dns/main.js",
    "--lab-socket",
    "/run/x.sock",
    "--domain",
    "cluster.local",
    "--upstream",
    "192.0.2.53",
  ]);
});
