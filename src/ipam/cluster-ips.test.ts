// ClusterIP allocation: well-known addresses, requested IPs, KEP-3070 band split, both families.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UserError } from "../util/errors.js";
import { parseIp } from "./cidr.js";
import { ClusterIpAllocator, clusterDnsIp, kubernetesServiceIp } from "./cluster-ips.js";
import { RangeFullError } from "./errors.js";
import { seededRandom } from "./random.js";

const lastOctet = (ip: string) => Number(ip.split(".")[3]);

describe("ClusterIpAllocator", () => {
  it("reserves the first address for kubernetes and the tenth for cluster DNS", () => {
    const a = new ClusterIpAllocator("10.96.0.0/12");
    assert.equal(kubernetesServiceIp("10.96.0.0/12"), "10.96.0.1");
    assert.equal(clusterDnsIp("fd00:10:96::/112"), "fd00:10:96::a");
    assert.equal(a.ownerOf("10.96.0.1"), "default/kubernetes");
    assert.equal(a.ownerOf("10.96.0.10"), "kube-system/kube-dns");
    assert.equal(
      a.reserve("10.96.0.10", "kube-system/kube-dns"),
      "10.96.0.10",
      "the DNS Service gets its address",
    );
    assert.throws(() => a.reserve("10.96.0.10", "default/web"), /already allocated to kube-system\/kube-dns/);
    assert.equal(new ClusterIpAllocator("10.96.0.0/12", { reserveWellKnown: false }).used, 0);
    assert.equal(a.rangeText, "10.96.0.1-10.111.255.254");
  });

  it("rejects requested addresses with the reason", () => {
    const a = new ClusterIpAllocator("10.96.0.0/24");
    const rejects = (ip: string, why: RegExp) =>
      assert.throws(
        () => a.reserve(ip, "default/web"),
        (e: unknown) =>
          e instanceof UserError &&
          e.message.startsWith(`cannot allocate ClusterIP ${ip} to default/web: `) &&
          why.test(e.message),
      );
    rejects("10.97.0.5", /outside the service CIDR 10\.96\.0\.0\/24/);
    rejects("10.96.0.0", /network address of 10\.96\.0\.0\/24/);
    rejects("10.96.0.255", /broadcast address of 10\.96\.0\.0\/24/);
    rejects("fd00::5", /it is IPv6 but the service CIDR 10\.96\.0\.0\/24 is IPv4/);
    rejects("10.96.0.1", /already allocated to default\/kubernetes/);
    assert.throws(() => a.reserve("10.96.0.300", "default/web"), /invalid IP address "10\.96\.0\.300"/);
    assert.equal(a.reserve("10.96.0.20", "default/web"), "10.96.0.20");
    rejects("10.96.0.21", /default\/web already has ClusterIP 10\.96\.0\.20/);
    assert.equal(a.allocate("default/web"), "10.96.0.20", "allocate returns the owner's address");
    assert.equal(a.ipOf("default/web"), "10.96.0.20");
    assert.equal(a.release("10.96.0.20"), true);
    assert.equal(a.release("10.96.0.20"), false);
    assert.equal(a.release("10.1.1.1"), false);
    assert.equal(a.ipOf("default/web"), undefined);
  });

  it("allocates dynamically from the upper band, then the lower band, then fails clearly", () => {
    // /24: 254 usable; static band = max(16, 256/16) = 16 addresses (.1-.16), two of them well-known.
    const a = new ClusterIpAllocator("10.96.0.0/24", { random: seededRandom(42) });
    const upper = new Set<string>();
    for (let i = 0; i < 238; i++) {
      const ip = a.allocate(`ns/u${i}`);
      assert.ok(lastOctet(ip) >= 17 && lastOctet(ip) <= 254, `${ip} is in the upper band`);
      upper.add(ip);
    }
    assert.equal(upper.size, 238);
    for (let i = 0; i < 14; i++) {
      const ip = a.allocate(`ns/l${i}`);
      assert.ok(
        lastOctet(ip) >= 2 && lastOctet(ip) <= 16 && lastOctet(ip) !== 10,
        `${ip} is in the lower band`,
      );
    }
    assert.equal(a.free, 0n);
    assert.throws(
      () => a.allocate("ns/late"),
      (e: unknown) =>
        e instanceof RangeFullError &&
        e.message ===
          "no free ClusterIP in service CIDR 10.96.0.0/24 for ns/late: all 254 addresses are allocated",
    );
  });

  it("keeps dynamic allocations of a /12 out of the first 256 addresses", () => {
    const a = new ClusterIpAllocator("10.96.0.0/12", { random: seededRandom(1) });
    const lowBandEnd = parseIp("10.96.1.0").value;
    for (let i = 0; i < 500; i++) assert.ok(parseIp(a.allocate(`ns/s${i}`)).value > lowBandEnd);
  });

  it("treats IPv6 the same way, without a broadcast address", () => {
    const a = new ClusterIpAllocator("fd00:10:96::/112", { random: seededRandom(9) });
    assert.equal(a.size, 65535n);
    assert.equal(a.rangeText, "fd00:10:96::1-fd00:10:96::ffff");
    assert.equal(a.ownerOf("fd00:10:96::1"), "default/kubernetes");
    assert.equal(a.ownerOf("FD00:10:96:0::A"), "kube-system/kube-dns");
    assert.equal(a.reserve("fd00:10:96::ffff", "ns/last"), "fd00:10:96::ffff");
    const ip = parseIp(a.allocate("ns/dyn")).value;
    assert.ok(ip > parseIp("fd00:10:96::100").value, "upper band: the first 256 are static");
    const wide = new ClusterIpAllocator("fd00:10:96::/64", { random: seededRandom(2) });
    assert.equal(wide.size, (1n << 64n) - 1n);
    const picked = parseIp(wide.allocate("ns/wide")).value - parseIp("fd00:10:96::").value;
    assert.ok(picked > 256n && picked < 1n << 64n);
  });

  it("handles tiny ranges: a /28 is all static band, /31 and /32 have no usable address", () => {
    const a = new ClusterIpAllocator("10.96.0.0/28", { random: seededRandom(5) });
    const got = new Set(Array.from({ length: 12 }, (_, i) => a.allocate(`ns/s${i}`)));
    assert.equal(got.size, 12);
    assert.throws(() => a.allocate("ns/more"), RangeFullError);
    const small = new ClusterIpAllocator("10.96.0.0/30");
    assert.equal(small.ownerOf("10.96.0.1"), "default/kubernetes");
    assert.equal(small.size, 2n);
    assert.throws(
      () => new ClusterIpAllocator("10.96.0.0/31"),
      /service CIDR 10\.96\.0\.0\/31 has no usable address/,
    );
    assert.throws(() => new ClusterIpAllocator("10.96.0.0/32"), /no usable address/);
    assert.equal(new ClusterIpAllocator("fd00::/127").size, 1n);
  });

  it("is deterministic for a seed and round-trips through JSON", () => {
    const make = () => new ClusterIpAllocator("10.96.0.0/16", { random: seededRandom(11) });
    const a = make();
    const b = make();
    const seqA = Array.from({ length: 5 }, (_, i) => a.allocate(`ns/s${i}`));
    assert.deepEqual(
      seqA,
      Array.from({ length: 5 }, (_, i) => b.allocate(`ns/s${i}`)),
    );
    const json = JSON.parse(JSON.stringify(a));
    assert.equal(json.allocations["10.96.0.1"], "default/kubernetes");
    const c = ClusterIpAllocator.fromJSON(json);
    assert.deepEqual(c.toJSON(), a.toJSON());
    assert.equal(c.used, 7);
  });
});
