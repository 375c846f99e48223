// Stale UDP conntrack planning and affinity pruning: what gets deleted and what stays.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { affinityTargets, staleAffinity, touchesAffinity } from "./affinity.js";
import { conntrackArgs, staleUdpEntries } from "./conntrack.js";
import type { Element } from "./elements.js";

const udp = (vip: string, port: number, eps: string[]): Element[] =>
  eps.map((ep, i) => ({
    set: "cluster-endpoints-udp",
    key: `${vip} . ${port} . ${i}`,
    value: `${ep} . 5353`,
  }));

describe("staleUdpEntries", () => {
  it("removed endpoints: entries NATed to them; slot moves are not removals", () => {
    const before = udp("10.96.0.10", 53, ["10.244.1.2", "10.244.1.3", "10.244.1.4"]);
    const after = udp("10.96.0.10", 53, ["10.244.1.4", "10.244.1.2"]);
    assert.deepEqual(staleUdpEntries(before, after), [
      { origDst: "10.96.0.10", port: 53, dnatTo: "10.244.1.3" },
    ]);
  });

  it("a port that gains its first endpoints: every entry to it; TCP: nothing", () => {
    assert.deepEqual(staleUdpEntries([], udp("10.96.0.10", 53, ["10.244.1.2"])), [
      { origDst: "10.96.0.10", port: 53 },
    ]);
    const tcp: Element[] = [
      { set: "cluster-endpoints-tcp", key: "10.96.0.5 . 80 . 0", value: "10.244.1.2 . 80" },
    ];
    assert.deepEqual(staleUdpEntries(tcp, []), []);
  });

  it("NodePorts by port, any destination", () => {
    const np: Element[] = [{ set: "nodeport-endpoints-udp", key: "30053 . 0", value: "10.244.1.2 . 5353" }];
    assert.deepEqual(staleUdpEntries(np, []), [{ port: 30053, dnatTo: "10.244.1.2" }]);
    assert.deepEqual(conntrackArgs({ port: 30053, dnatTo: "10.244.1.2" }), [
      "conntrack",
      "-D",
      "-p",
      "udp",
      "--orig-port-dst",
      "30053",
      "--dst-nat",
      "10.244.1.2",
    ]);
    assert.deepEqual(conntrackArgs({ origDst: "10.96.0.10", port: 53 }), [
      "conntrack",
      "-D",
      "-p",
      "udp",
      "--orig-dst",
      "10.96.0.10",
      "--orig-port-dst",
      "53",
    ]);
  });
});

describe("affinity pruning", () => {
  const effective = new Map([
    ["affinity-services", [{ key: "10.96.0.20 . tcp . 80", value: "jump affinity-300" }]],
    ["affinity-nodeports", [{ key: "tcp . 30080", value: "jump affinity-300" }]],
    ["cluster-endpoints-tcp", [{ key: "10.96.0.20 . 80 . 0", value: "10.244.1.4 . 8080" }]],
    ["nodeport-endpoints-tcp", [{ key: "30080 . 0", value: "10.244.1.4 . 8080" }]],
  ]);

  it("keeps entries naming a current endpoint, deletes the rest", () => {
    const entries = [
      { key: ["10.244.2.9", "10.96.0.20", "tcp", "80"], value: ["10.244.1.4", "8080"] },
      { key: ["10.244.2.8", "10.96.0.20", "tcp", "80"], value: ["10.244.1.5", "8080"] },
      { key: ["172.18.0.100", "172.18.0.2", "tcp", "30080"], value: ["10.244.1.4", "8080"] },
      { key: ["172.18.0.100", "172.18.0.2", "tcp", "30081"], value: ["10.244.1.4", "8080"] },
      { key: ["10.244.2.7", "10.96.0.99", "tcp", "80"], value: ["10.244.1.4", "8080"] },
    ];
    assert.deepEqual(staleAffinity(entries, affinityTargets(effective)), [
      "10.244.2.8 . 10.96.0.20 . tcp . 80",
      "172.18.0.100 . 172.18.0.2 . tcp . 30081",
      "10.244.2.7 . 10.96.0.99 . tcp . 80",
    ]);
  });

  it("only affinity Services trigger a prune", () => {
    assert.equal(touchesAffinity([], [{ set: "service-ips", key: "x" }]), false);
    assert.equal(touchesAffinity([{ set: "affinity-services", key: "x" }], []), true);
  });
});
