// The nft text the proxy sends: the skeleton, a full load, deltas, resync over an existing
// table, and that the fake kernel accepts exactly what the real one would (ordering, refs).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ElementIndex } from "./element-index.js";
import { serviceElements } from "./elements.js";
import { FakeProxyTable } from "./nft-fake.js";
import { renderCleanup, renderDelta, renderFull, renderStructure } from "./render.js";
import type { EndpointInfo, ServicePortInfo } from "./service-view.js";

const cfg = {
  table: "flatnet-proxy",
  clusterCIDR: "10.244.0.0/16",
  serviceCIDR: "10.96.0.0/12",
  masqueradeMark: 0x4000,
};
const ep = (ip: string): EndpointInfo => ({
  ip,
  port: 8080,
  nodeName: "n1",
  ready: true,
  serving: true,
  terminating: false,
});
const web = (eps: EndpointInfo[]): ServicePortInfo => ({
  service: "d/web",
  portName: "",
  protocol: "TCP",
  clusterIP: "10.96.0.5",
  port: 80,
  externalLocal: false,
  internalLocal: false,
  endpoints: eps,
});

/** The structure of an empty cluster: declarations, static chains (each flushed), their rules. */
const SKELETON = `add table ip flatnet-proxy
add map ip flatnet-proxy service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }
add map ip flatnet-proxy service-nodeports { type inet_proto . inet_service : verdict; }
add map ip flatnet-proxy cluster-endpoints-tcp { typeof ip daddr . tcp dport . numgen random mod 1 : ip daddr . tcp dport; }
add map ip flatnet-proxy cluster-endpoints-udp { typeof ip daddr . udp dport . numgen random mod 1 : ip daddr . udp dport; }
add map ip flatnet-proxy nodeport-endpoints-tcp { typeof tcp dport . numgen random mod 1 : ip daddr . tcp dport; }
add map ip flatnet-proxy nodeport-endpoints-udp { typeof udp dport . numgen random mod 1 : ip daddr . udp dport; }
add set ip flatnet-proxy nodeports-masquerade { type inet_proto . inet_service; }
add map ip flatnet-proxy no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; }
add map ip flatnet-proxy no-endpoint-nodeports { type inet_proto . inet_service : verdict; }
add map ip flatnet-proxy affinity-services { type ipv4_addr . inet_proto . inet_service : verdict; }
add map ip flatnet-proxy affinity-nodeports { type inet_proto . inet_service : verdict; }
add set ip flatnet-proxy hairpin { type ipv4_addr . ipv4_addr; }
add map ip flatnet-proxy affinity { type ipv4_addr . ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; flags dynamic,timeout; size 262144; }
add chain ip flatnet-proxy reject-packet
flush chain ip flatnet-proxy reject-packet
add chain ip flatnet-proxy endpoints-check
flush chain ip flatnet-proxy endpoints-check
add chain ip flatnet-proxy filter-prerouting { type filter hook prerouting priority dstnat - 10; policy accept; }
flush chain ip flatnet-proxy filter-prerouting
add chain ip flatnet-proxy filter-output { type filter hook output priority -110; policy accept; }
flush chain ip flatnet-proxy filter-output
add chain ip flatnet-proxy services
flush chain ip flatnet-proxy services
add chain ip flatnet-proxy node-ports
flush chain ip flatnet-proxy node-ports
add chain ip flatnet-proxy nat-prerouting { type nat hook prerouting priority dstnat; policy accept; }
flush chain ip flatnet-proxy nat-prerouting
add chain ip flatnet-proxy nat-output { type nat hook output priority -100; policy accept; }
flush chain ip flatnet-proxy nat-output
add chain ip flatnet-proxy nat-postrouting { type nat hook postrouting priority srcnat; policy accept; }
flush chain ip flatnet-proxy nat-postrouting
add rule ip flatnet-proxy reject-packet reject
add rule ip flatnet-proxy endpoints-check ip daddr . meta l4proto . th dport vmap @no-endpoint-services
add rule ip flatnet-proxy endpoints-check fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @no-endpoint-nodeports
add rule ip flatnet-proxy filter-prerouting ct state new jump endpoints-check
add rule ip flatnet-proxy filter-output ct state new jump endpoints-check
add rule ip flatnet-proxy services ip daddr . meta l4proto . th dport vmap @service-ips
add rule ip flatnet-proxy services fib daddr type local ip daddr != 127.0.0.0/8 jump node-ports
add rule ip flatnet-proxy node-ports meta l4proto . th dport @nodeports-masquerade meta mark set meta mark | 0x4000
add rule ip flatnet-proxy node-ports meta l4proto . th dport vmap @service-nodeports
add rule ip flatnet-proxy nat-prerouting jump services
add rule ip flatnet-proxy nat-output jump services
add rule ip flatnet-proxy nat-postrouting ct status dnat meta l4proto tcp ct original ip daddr . meta l4proto . ct original proto-dst vmap @affinity-services
add rule ip flatnet-proxy nat-postrouting ct status dnat meta l4proto tcp ct original ip daddr != 10.96.0.0/12 meta l4proto . ct original proto-dst vmap @affinity-nodeports
add rule ip flatnet-proxy nat-postrouting ct status dnat meta l4proto udp ct original ip daddr . meta l4proto . ct original proto-dst vmap @affinity-services
add rule ip flatnet-proxy nat-postrouting ct status dnat meta l4proto udp ct original ip daddr != 10.96.0.0/12 meta l4proto . ct original proto-dst vmap @affinity-nodeports
add rule ip flatnet-proxy nat-postrouting meta mark & 0x4000 == 0x4000 meta mark set meta mark & 0xffffbfff masquerade
add rule ip flatnet-proxy nat-postrouting ct status dnat ip saddr . ip daddr @hairpin masquerade
`;

/** What renderFull adds to it for an empty cluster: every Service-derived set emptied. */
const EMPTY_SETS = `flush map ip flatnet-proxy service-ips
flush map ip flatnet-proxy service-nodeports
flush map ip flatnet-proxy cluster-endpoints-tcp
flush map ip flatnet-proxy cluster-endpoints-udp
flush map ip flatnet-proxy nodeport-endpoints-tcp
flush map ip flatnet-proxy nodeport-endpoints-udp
flush set ip flatnet-proxy nodeports-masquerade
flush map ip flatnet-proxy no-endpoint-services
flush map ip flatnet-proxy no-endpoint-nodeports
flush map ip flatnet-proxy affinity-services
flush map ip flatnet-proxy affinity-nodeports
flush set ip flatnet-proxy hairpin
`;

function indexWith(ports: ServicePortInfo[]): ElementIndex {
  const idx = new ElementIndex();
  idx.commit(idx.plan(new Map([["d/web", serviceElements(ports, "n1")]])));
  return idx;
}

describe("renderStructure and renderFull", () => {
  it("an empty cluster: the skeleton, then every Service set emptied", () => {
    assert.equal(renderStructure(cfg, []), SKELETON);
    assert.equal(renderFull(cfg, new Map(), []), SKELETON + EMPTY_SETS);
  });

  it("adds the chains for endpoint counts in use, then the elements", () => {
    const idx = indexWith([web([ep("10.244.1.2"), ep("10.244.1.3")])]);
    const text = renderFull(cfg, idx.effective(), idx.chains());
    assert.ok(text.startsWith(SKELETON.split("add rule")[0]!.replace(/\n$/, "")));
    assert.match(
      text,
      /^add chain ip flatnet-proxy cluster-ip-2\nflush chain ip flatnet-proxy cluster-ip-2$/m,
    );
    assert.match(
      text,
      /^add rule ip flatnet-proxy cluster-ip-2 meta l4proto tcp dnat ip to ip daddr \. tcp dport \. numgen random mod 2 map @cluster-endpoints-tcp$/m,
    );
    assert.match(
      text,
      new RegExp(
        [
          "^flush map ip flatnet-proxy service-ips",
          "add element ip flatnet-proxy service-ips \\{ 10\\.96\\.0\\.5 \\. tcp \\. 80 : goto cluster-ip-2 \\}$",
        ].join("\n"),
        "m",
      ),
    );
    assert.ok(
      text.endsWith(
        [
          "flush map ip flatnet-proxy cluster-endpoints-tcp",
          "add element ip flatnet-proxy cluster-endpoints-tcp { 10.96.0.5 . 80 . 0 : 10.244.1.2 . 8080, 10.96.0.5 . 80 . 1 : 10.244.1.3 . 8080 }",
          "flush map ip flatnet-proxy cluster-endpoints-udp",
          "flush map ip flatnet-proxy nodeport-endpoints-tcp",
          "flush map ip flatnet-proxy nodeport-endpoints-udp",
          "flush set ip flatnet-proxy nodeports-masquerade",
          "flush map ip flatnet-proxy no-endpoint-services",
          "flush map ip flatnet-proxy no-endpoint-nodeports",
          "flush map ip flatnet-proxy affinity-services",
          "flush map ip flatnet-proxy affinity-nodeports",
          "flush set ip flatnet-proxy hairpin",
          "add element ip flatnet-proxy hairpin { 10.244.1.2 . 10.244.1.2, 10.244.1.3 . 10.244.1.3 }",
          "",
        ].join("\n"),
      ),
    );
  });

  it("needs no listing and keeps the elements (not affinity's either); recreate starts from nothing", () => {
    const text = renderStructure(cfg, ["cluster-ip-3"]);
    assert.doesNotMatch(text, /^flush (map|set|table) /m);
    assert.doesNotMatch(text, /^delete /m);
    assert.match(text, /^flush chain ip flatnet-proxy cluster-ip-3$/m);
    assert.doesNotMatch(renderFull(cfg, new Map(), []), /^flush map ip flatnet-proxy affinity$/m);
    const recreate = renderStructure(cfg, [], { recreate: true });
    assert.ok(
      recreate.startsWith(
        "add table ip flatnet-proxy\ndelete table ip flatnet-proxy\nadd table ip flatnet-proxy\n",
      ),
    );
    assert.doesNotMatch(recreate, /^flush /m);
  });

  it("the structure over a loaded table changes no packet's fate until the elements are replaced", async () => {
    const fake = new FakeProxyTable();
    const before = indexWith([web([ep("10.244.1.2"), ep("10.244.1.3")])]);
    await fake.apply(renderFull(cfg, before.effective(), before.chains()));
    const oldRules = fake.chains().get("cluster-ip-2")?.rules;
    assert.equal(oldRules?.length, 4);
    // The desired state moved to one endpoint: chain cluster-ip-1 is new, cluster-ip-2 unused.
    const after = indexWith([web([ep("10.244.1.2")])]);
    await fake.apply(renderStructure(cfg, after.chains()));
    assert.deepEqual([...fake.elements("service-ips")], [["10.96.0.5 . tcp . 80", "goto cluster-ip-2"]]);
    assert.deepEqual(fake.chains().get("cluster-ip-2")?.rules, oldRules, "still jumped to: kept whole");
    assert.equal(fake.chains().get("cluster-ip-1")?.rules.length, 4);
    await fake.replaceElements(after.effective());
    assert.deepEqual([...fake.elements("service-ips")], [["10.96.0.5 . tcp . 80", "goto cluster-ip-1"]]);
    assert.deepEqual(
      [...fake.elements("cluster-endpoints-tcp")],
      [["10.96.0.5 . 80 . 0", "10.244.1.2 . 8080"]],
    );
  });
});

describe("renderCleanup", () => {
  it("deletes chains and sets the desired state does not have, nothing else", () => {
    const text = renderCleanup(
      cfg,
      { chains: ["services", "cluster-ip-7", "cluster-ip-2"], sets: ["service-ips", "affinity", "old-set"] },
      ["cluster-ip-2"],
    );
    assert.equal(text, "delete chain ip flatnet-proxy cluster-ip-7\ndelete set ip flatnet-proxy old-set\n");
    assert.equal(renderCleanup(cfg, { chains: ["services"], sets: ["hairpin"] }, []), "");
  });

  it("a full sync over an old table, then cleanup: the same table as a fresh load", async () => {
    const old = new FakeProxyTable();
    await old.apply(
      renderFull(cfg, indexWith([web([ep("10.244.1.2"), ep("10.244.1.3")])]).effective(), ["cluster-ip-2"]),
    );
    old.addDynamic("affinity", "10.244.2.9 . 10.96.0.5 . tcp . 80", "10.244.1.2 . 8080");
    const idx = indexWith([web([ep("10.244.1.2")])]);
    await old.apply(renderFull(cfg, idx.effective(), idx.chains()));
    assert.ok(old.chains().has("cluster-ip-2"), "left behind, empty and unreferenced");
    await old.apply(renderCleanup(cfg, (await old.objects())!, idx.chains()));
    const fresh = new FakeProxyTable();
    await fresh.apply(renderFull(cfg, idx.effective(), idx.chains()));
    fresh.addDynamic("affinity", "10.244.2.9 . 10.96.0.5 . tcp . 80", "10.244.1.2 . 8080");
    assert.equal(old.dump(), fresh.dump());
  });
});

describe("renderDelta", () => {
  it("an endpoint going away: only its elements, the count chain swapped", () => {
    const idx = indexWith([web([ep("10.244.1.2"), ep("10.244.1.3")])]);
    const plan = idx.plan(new Map([["d/web", serviceElements([web([ep("10.244.1.2")])], "n1")]]));
    assert.equal(
      renderDelta(cfg, plan),
      [
        "add chain ip flatnet-proxy cluster-ip-1",
        "add rule ip flatnet-proxy cluster-ip-1 ip saddr != 10.244.0.0/16 meta mark set meta mark | 0x4000",
        "add rule ip flatnet-proxy cluster-ip-1 dnat ip to ip saddr . ip daddr . meta l4proto . th dport map @affinity",
        "add rule ip flatnet-proxy cluster-ip-1 meta l4proto tcp dnat ip to ip daddr . tcp dport . numgen random mod 1 map @cluster-endpoints-tcp",
        "add rule ip flatnet-proxy cluster-ip-1 meta l4proto udp dnat ip to ip daddr . udp dport . numgen random mod 1 map @cluster-endpoints-udp",
        "delete element ip flatnet-proxy service-ips { 10.96.0.5 . tcp . 80 }",
        "delete element ip flatnet-proxy cluster-endpoints-tcp { 10.96.0.5 . 80 . 1 }",
        "delete element ip flatnet-proxy hairpin { 10.244.1.3 . 10.244.1.3 }",
        "add element ip flatnet-proxy service-ips { 10.96.0.5 . tcp . 80 : goto cluster-ip-1 }",
        "delete chain ip flatnet-proxy cluster-ip-2",
        "",
      ].join("\n"),
    );
  });

  it("nothing changed: nothing to send", () => {
    const idx = indexWith([web([ep("10.244.1.2")])]);
    assert.equal(
      renderDelta(cfg, idx.plan(new Map([["d/web", serviceElements([web([ep("10.244.1.2")])], "n1")]]))),
      "",
    );
  });

  it("the fake kernel accepts full then delta, and ends where a fresh full load ends", async () => {
    const fake = new FakeProxyTable();
    const idx = indexWith([web([ep("10.244.1.2"), ep("10.244.1.3")])]);
    await fake.apply(renderFull(cfg, idx.effective(), idx.chains()));
    const plan = idx.plan(new Map([["d/web", serviceElements([web([ep("10.244.1.9")])], "n1")]]));
    await fake.apply(renderDelta(cfg, plan));
    idx.commit(plan);
    const fresh = new FakeProxyTable();
    await fresh.apply(renderFull(cfg, idx.effective(), idx.chains()));
    assert.equal(fake.dump(), fresh.dump());
    assert.deepEqual(
      [...fake.elements("cluster-endpoints-tcp")],
      [["10.96.0.5 . 80 . 0", "10.244.1.9 . 8080"]],
    );
  });
});
