// Peer identities: ipBlock arithmetic, ranges that cover IPv4 exactly, pods no rule tells apart
// sharing an identity, and ids that stay put when nothing or little changes (so transactions
// stay small).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomCluster, randomPolicy, rng } from "../../analyzer/random-cluster.js";
import { parseCidr } from "../../ipam/cidr.js";
import { PolicyModel } from "../model.js";
import { modelOf } from "../test-topology.js";
import { PodUniverse } from "../universe.js";
import { desiredElements } from "./elements.js";
import { blockRanges, formatV4, localRules, peerIdentities } from "./identities.js";
import { elementChanges } from "./render.js";

const v4 = (s: string) => s.split(".").reduce((a, o) => a * 256 + Number(o), 0);

describe("peer identities", () => {
  it("an ipBlock is its cidr minus every except, as IPv4 ranges", () => {
    const ranges = blockRanges({
      index: 0,
      kind: "ipBlock",
      cidr: parseCidr("10.0.0.0/8"),
      except: [parseCidr("10.1.0.0/16"), parseCidr("10.255.255.0/24"), parseCidr("192.168.0.0/16")],
      text: "",
      pods: new Uint32Array(0),
    });
    assert.deepEqual(
      ranges.map(([a, b]) => `${formatV4(a)}-${formatV4(b)}`),
      ["10.0.0.0-10.0.255.255", "10.2.0.0-10.255.254.255"],
    );
  });

  it("ranges cover IPv4 exactly; pods alike for every rule share an id", () => {
    const model = modelOf([
      {
        metadata: { namespace: "x", name: "p" },
        spec: {
          podSelector: {},
          ingress: [
            { from: [{ namespaceSelector: { matchLabels: { ns: "y" } } }] },
            { from: [{ ipBlock: { cidr: "10.244.0.0/16", except: ["10.244.2.0/24"] } }] },
          ],
        },
      },
    ]);
    const ident = peerIdentities(model, localRules(model, "node-1").rules);
    assert.equal(ident.regions[0]!.from, 0);
    assert.equal(ident.regions.at(-1)!.to, 2 ** 32 - 1);
    for (let k = 1; k < ident.regions.length; k++) {
      assert.equal(ident.regions[k]!.from, ident.regions[k - 1]!.to + 1);
      assert.notEqual(ident.regions[k]!.id, ident.regions[k - 1]!.id);
    }
    const u = model.universe;
    const id = (ns: string, pod: string) => {
      const ip = u.pods[u.indexOf(ns, pod)!]!.ips[0]!;
      return ident.podIds.get(ip) ?? ident.regions.find((r) => r.from <= v4(ip) && v4(ip) <= r.to)!.id;
    };
    // y's pods: in the namespace peer and (10.244.2.0/24 excepted) not in the block.
    assert.equal(id("y", "a"), id("y", "b"));
    assert.equal(id("y", "a"), id("y", "c"));
    // x's and z's pods: only in the block (x is 10.244.1.0/24, z 10.244.3.0/24): one class with
    // the addresses around them, so they need no entry of their own.
    assert.equal(id("x", "a"), id("z", "b"));
    assert.equal(ident.podIds.has(u.pods[u.indexOf("x", "a")!]!.ips[0]!), false);
    assert.notEqual(id("x", "a"), id("y", "a"));
    assert.equal(ident.regions.find((r) => r.from === 0)!.id, 0);
  });

  it("keeps every id when recomputed, and moves few when a policy is added", () => {
    const opts = { namespaces: 6, podsPerNamespace: 12, appsPerNamespace: 3 };
    const r = rng(5);
    const c = randomCluster(3, opts);
    const model = new PolicyModel(
      new PodUniverse(c.pods, c.namespaces),
      Array.from({ length: 30 }, (_, k) => randomPolicy(r, opts, `p${k}`)),
    );
    for (const node of ["node-0", "node-1"]) {
      const first = desiredElements(model, node);
      const again = desiredElements(model, node, first.identities);
      assert.equal(elementChanges(first.elements, again.elements).count, 0, node);
    }
    const before = desiredElements(model, "node-0");
    const total = [...before.elements.values()].reduce((n, m) => n + m.size, 0);
    model.setPolicy(randomPolicy(r, opts, "extra"));
    const after = desiredElements(model, "node-0", before.identities);
    const moved = elementChanges(before.elements, after.elements).count;
    assert.ok(moved < total / 4, `${moved} of ${total} elements changed`);
  });
});
