// Node podCIDR allocation: lowest free block, sticky per node, pre-set podCIDRs, exhaustion.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UserError } from "../util/errors.js";
import { formatCidr } from "./cidr.js";
import { RangeFullError } from "./errors.js";
import { NodeCidrAllocator } from "./node-cidrs.js";

const text = (a: NodeCidrAllocator, node: string, requested?: string) =>
  formatCidr(a.allocate(node, requested));

describe("NodeCidrAllocator", () => {
  it("gives the lowest free /24, keeps a node's block, and reuses freed blocks", () => {
    const a = new NodeCidrAllocator("10.244.0.0/16");
    assert.equal(a.capacity, 256n);
    assert.equal(text(a, "n1"), "10.244.0.0/24");
    assert.equal(text(a, "n2"), "10.244.1.0/24");
    assert.equal(text(a, "n3"), "10.244.2.0/24");
    assert.equal(text(a, "n2"), "10.244.1.0/24", "a node keeps its block");
    assert.equal(a.release("n2"), true);
    assert.equal(a.release("n2"), false);
    assert.equal(a.lookup("n2"), undefined);
    assert.equal(text(a, "n4"), "10.244.1.0/24", "lowest free block first");
    assert.deepEqual(
      a.assignments().map((x) => `${x.node}=${formatCidr(x.cidr)}`),
      ["n1=10.244.0.0/24", "n4=10.244.1.0/24", "n3=10.244.2.0/24"],
    );
  });

  it("works the same for IPv6 with a /64 default", () => {
    const a = new NodeCidrAllocator("fd00:10:244::/56");
    assert.equal(a.nodeMaskSize, 64);
    assert.equal(text(a, "n1"), "fd00:10:244::/64");
    assert.equal(text(a, "n2"), "fd00:10:244:1::/64");
    assert.equal(text(a, "n3", "fd00:10:244:ff::/64"), "fd00:10:244:ff::/64");
  });

  it("honours a free pre-set podCIDR and rejects bad ones with the reason", () => {
    const a = new NodeCidrAllocator("10.244.0.0/16", 24);
    assert.equal(text(a, "n5", "10.244.5.0/24"), "10.244.5.0/24");
    assert.equal(text(a, "n5", "10.244.5.0/24"), "10.244.5.0/24", "idempotent");
    assert.equal(text(a, "n0"), "10.244.0.0/24");
    const rejects = (node: string, cidr: string, why: RegExp) =>
      assert.throws(
        () => a.allocate(node, cidr),
        (e: unknown) =>
          e instanceof UserError && e.message.includes(`podCIDR ${cidr}`) && why.test(e.message),
      );
    rejects("n6", "10.244.5.0/24", /already allocated to node n5/);
    rejects("n6", "10.245.0.0/24", /outside the cluster CIDR 10\.244\.0\.0\/16/);
    rejects("n6", "fd00::/64", /outside the cluster CIDR/);
    rejects("n6", "10.244.6.0/25", /mask \/25 differs from the node mask size \/24/);
    rejects("n6", "10.244.6.7/24", /host bits are set \(the block is 10\.244\.6\.0\/24\)/);
    rejects("n5", "10.244.9.0/24", /already has 10\.244\.5\.0\/24/);
    assert.throws(() => a.allocate("n6", "10.244.6.0"), /invalid address with prefix/);
  });

  it("says clearly when the cluster CIDR is exhausted", () => {
    const a = new NodeCidrAllocator("10.244.0.0/22", 24);
    for (const n of ["a", "b", "c", "d"]) a.allocate(n);
    assert.throws(
      () => a.allocate("e"),
      (e: unknown) =>
        e instanceof RangeFullError &&
        e.message === "no free /24 left in cluster CIDR 10.244.0.0/22 for node e: all 4 are allocated",
    );
    a.release("c");
    assert.equal(text(a, "e"), "10.244.2.0/24");
  });

  it("validates the mask size and the cluster CIDR", () => {
    assert.throws(
      () => new NodeCidrAllocator("10.244.0.0/16", 8),
      /mask size 8 does not fit.*between 16 and 32/,
    );
    assert.throws(() => new NodeCidrAllocator("10.244.0.0/16", 33), /does not fit/);
    assert.throws(() => new NodeCidrAllocator("10.244.1.0/16"), /host bits are set/);
    const single = new NodeCidrAllocator("10.244.0.0/24", 24);
    assert.equal(text(single, "only"), "10.244.0.0/24");
    assert.throws(() => single.allocate("second"), RangeFullError);
  });

  it("round-trips through JSON", () => {
    const a = new NodeCidrAllocator("10.244.0.0/16");
    a.allocate("n1");
    a.allocate("n2", "10.244.7.0/24");
    a.allocate("n3");
    const json = JSON.parse(JSON.stringify(a));
    assert.deepEqual(json, {
      clusterCidr: "10.244.0.0/16",
      nodeMaskSize: 24,
      nodes: { n1: "10.244.0.0/24", n3: "10.244.1.0/24", n2: "10.244.7.0/24" },
    });
    const b = NodeCidrAllocator.fromJSON(json);
    assert.deepEqual(b.toJSON(), a.toJSON());
    assert.equal(text(b, "n4"), "10.244.2.0/24");
  });
});
