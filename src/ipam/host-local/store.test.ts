// The on-disk host-local store in one process: semantics, layout, crash leftovers, GC.
// (Many processes at once: test/integration/ipam-concurrency.test.ts.)
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { HostLocalConfig, RangeSet } from "./config.js";
import { allocate, gc, IpamExhaustedError, lookup, reclaimOrphans, release } from "./index.js";
import { withLock } from "./lock.js";

let root: string;
let n = 0;
const cfg = (ranges: RangeSet[]): HostLocalConfig => ({ dataDir: root, network: `net${n++}`, ranges });
const v4 = (subnet = "10.244.1.0/24"): RangeSet => [{ subnet }];
const owner = (id: string, ifname = "eth0") => ({ containerId: id, ifname });
const addr = async (c: HostLocalConfig, id: string) => (await allocate(c, owner(id))).map((a) => a.address);

before(async () => {
  root = await mkdtemp(join(tmpdir(), "flatnet-t-ipam-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("host-local store", () => {
  it("allocates round-robin in the reference layout", async () => {
    const c = cfg([v4()]);
    assert.deepEqual(await allocate(c, owner("c1")), [
      { address: "10.244.1.2/24", gateway: "10.244.1.1", family: 4, rangeSetIndex: 0 },
    ]);
    assert.deepEqual(await addr(c, "c2"), ["10.244.1.3/24"]);
    const dir = join(root, c.network);
    assert.equal(await readFile(join(dir, "10.244.1.2"), "utf8"), "c1\r\neth0");
    assert.equal(await readFile(join(dir, "last_reserved_ip.0"), "utf8"), "10.244.1.3");
    await release(c, owner("c1"));
    assert.deepEqual(await addr(c, "c3"), ["10.244.1.4/24"], "a released address is not reused at once");
    assert.deepEqual((await readdir(dir)).sort(), [
      "10.244.1.3",
      "10.244.1.4",
      "last_reserved_ip.0",
      "lock",
      "owners",
    ]);
  });

  it("gives one address per range set (dual-stack) and looks them up", async () => {
    const c = cfg([v4(), [{ subnet: "fd00:10:244:1::/64" }]]);
    const got = await allocate(c, { containerId: "pod-a", ifname: "eth0", netns: "/var/run/netns/a" });
    assert.deepEqual(got, [
      { address: "10.244.1.2/24", gateway: "10.244.1.1", family: 4, rangeSetIndex: 0 },
      { address: "fd00:10:244:1::2/64", gateway: "fd00:10:244:1::1", family: 6, rangeSetIndex: 1 },
    ]);
    assert.deepEqual(await lookup(c, owner("pod-a")), got);
    assert.deepEqual(await lookup(c, owner("pod-a", "net1")), []);
    const record = JSON.parse(await readFile(join(root, c.network, "owners", "fd00:10:244:1::2"), "utf8"));
    assert.deepEqual(record, { containerId: "pod-a", ifname: "eth0", netns: "/var/run/netns/a" });
  });

  it("refuses a second address for the same interface but allows another interface", async () => {
    const c = cfg([v4()]);
    await allocate(c, owner("c1"));
    await assert.rejects(
      allocate(c, owner("c1")),
      /container c1 interface eth0 already has an address in range set 0 of IPAM network "net\d+": 10\.244\.1\.2/,
    );
    assert.deepEqual(
      (await allocate(c, owner("c1", "net1"))).map((a) => a.address),
      ["10.244.1.3/24"],
    );
  });

  it("honours requested addresses and explains refusals", async () => {
    const c = cfg([v4(), [{ subnet: "fd00::/64" }]]);
    const got = await allocate(c, owner("c1"), { requestedIps: ["10.244.1.50/24", "fd00::50"] });
    assert.deepEqual(
      got.map((a) => a.address),
      ["10.244.1.50/24", "fd00::50/64"],
    );
    const again = await allocate(c, owner("c1"), { requestedIps: ["10.244.1.50", "fd00::50"] });
    assert.deepEqual(again, got, "requesting what it owns is fine");
    const req = (ips: string[], who = "c2") => allocate(c, owner(who), { requestedIps: ips });
    await assert.rejects(
      req(["10.244.1.50"]),
      /requested IP 10\.244\.1\.50 .* already allocated to container c1 interface eth0/,
    );
    await assert.rejects(
      req(["10.244.2.5"]),
      /requested IP 10\.244\.2\.5 is not in any range of IPAM network/,
    );
    await assert.rejects(
      req(["10.244.1.1"]),
      /requested IP 10\.244\.1\.1 is the gateway of 10\.244\.1\.0\/24/,
    );
    await assert.rejects(req(["10.244.1.255"]), /not in any range/);
    await assert.rejects(req(["10.244.1.7", "10.244.1.8"]), /both in range set 0/);
    await assert.rejects(req(["10.244.1.300"]), /invalid IP address "10\.244\.1\.300"/);
    assert.deepEqual(await lookup(c, owner("c2")), [], "failed requests leave nothing behind");
    const mixed = await req(["fd00::7"], "c3");
    assert.deepEqual(
      mixed.map((a) => a.address),
      ["10.244.1.51/24", "fd00::7/64"],
      "round-robin after the last reserved",
    );
  });

  it("wraps around and reports exhaustion naming the range", async () => {
    const c = cfg([v4("10.244.1.0/28")]);
    for (let i = 0; i < 13; i++) await allocate(c, owner(`c${i}`));
    await assert.rejects(allocate(c, owner("late")), (e: unknown) => {
      assert.ok(e instanceof IpamExhaustedError);
      assert.equal(
        e.message,
        "no free address in 10.244.1.0/28 (range 10.244.1.2-10.244.1.14): 13 of 13 in use",
      );
      return true;
    });
    await release(c, owner("c3"));
    await release(c, owner("c3"));
    await release(c, owner("never-existed"));
    assert.deepEqual(await addr(c, "late"), ["10.244.1.5/28"], "wrapped around to the freed address");
  });

  it("rolls back the first family when the second is exhausted", async () => {
    const c = cfg([v4(), [{ subnet: "fd00::/126" }]]);
    await allocate(c, owner("a"));
    await allocate(c, owner("b"));
    await assert.rejects(
      allocate(c, owner("c")),
      /no free address in fd00::\/126 \(range fd00::2-fd00::3\): 2 of 2 in use/,
    );
    assert.deepEqual(await lookup(c, owner("c")), []);
    const files = (await readdir(join(root, c.network))).filter((f) => f.startsWith("10."));
    assert.deepEqual(files.sort(), ["10.244.1.2", "10.244.1.3"]);
  });

  it("serialises concurrent allocations inside one process", async () => {
    const c = cfg([v4()]);
    const all = await Promise.all(Array.from({ length: 40 }, (_, i) => addr(c, `p${i}`)));
    assert.equal(new Set(all.flat()).size, 40);
  });

  it("cleans up what a crashed writer left and counts a torn reference file as used", async () => {
    const c = cfg([v4("10.244.1.0/29")]);
    const dir = join(root, c.network);
    await mkdir(join(dir, "owners"), { recursive: true });
    await writeFile(join(dir, ".tmp-999-abc"), "dead\r\neth0");
    await writeFile(join(dir, "owners", "10.244.1.6"), '{"containerId":"gone","ifname":"eth0","netns":"/x"}');
    await writeFile(join(dir, "10.244.1.2"), ""); // the reference plugin's O_EXCL-then-write crash window
    await writeFile(join(dir, "last_reserved_ip.0"), "garbage");
    assert.deepEqual(await addr(c, "c1"), ["10.244.1.3/29"]);
    const names = await readdir(dir);
    assert.ok(!names.includes(".tmp-999-abc"));
    assert.deepEqual(await readdir(join(dir, "owners")), []);
    assert.deepEqual(await gc(c, [owner("c1")]), ["10.244.1.2"]);
  });

  it("reclaims allocations whose network namespace is gone, and GC releases the rest", async () => {
    const c = cfg([v4()]);
    const nsDir = await mkdtemp(join(tmpdir(), "flatnet-t-netns-"));
    try {
      const ns = (i: number) => join(nsDir, `ns${i}`);
      for (let i = 0; i < 3; i++) {
        await writeFile(ns(i), "");
        await allocate(c, { containerId: `c${i}`, ifname: "eth0", netns: ns(i) });
      }
      await allocate(c, owner("no-netns"));
      await rm(ns(0));
      await rm(ns(2));
      assert.deepEqual((await reclaimOrphans(c)).sort(), ["10.244.1.2", "10.244.1.4"]);
      assert.deepEqual(await reclaimOrphans(c), []);
      assert.deepEqual(await gc(c, [owner("c1")]), ["10.244.1.5"]);
      assert.deepEqual(
        (await lookup(c, owner("c1"))).map((a) => a.address),
        ["10.244.1.3/24"],
      );
    } finally {
      await rm(nsDir, { recursive: true, force: true });
    }
  });

  it("times out clearly when the lock is held", async () => {
    const c = cfg([v4()]);
    await addr(c, "c1");
    const dir = join(root, c.network);
    let releaseHolder!: () => void;
    const holding = new Promise<void>((r) => {
      releaseHolder = r;
    });
    let entered!: () => void;
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    const holder = withLock(dir, async () => {
      entered();
      await holding;
    });
    await inside;
    await assert.rejects(
      withLock(dir, async () => 1, { timeoutMs: 100 }),
      /timed out after 100 ms waiting for the IPAM lock .*\/lock/,
    );
    releaseHolder();
    await holder;
    assert.equal(await withLock(dir, async () => 2, { timeoutMs: 100 }), 2);
  });

  it("rejects bad configuration before touching the disk", async () => {
    await assert.rejects(
      allocate({ dataDir: root, network: "../x", ranges: [v4()] }, owner("c")),
      /not usable as a directory/,
    );
    await assert.rejects(
      allocate({ dataDir: root, network: "bad", ranges: [] }, owner("c")),
      /"ranges" is empty/,
    );
    await assert.rejects(
      allocate({ dataDir: "", network: "nodir", ranges: [v4()] }, owner("c")),
      /"dataDir" is missing/,
    );
    assert.ok(!(await readdir(root)).includes("bad"));
  });
});
