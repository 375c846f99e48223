// The nfnetlink element encoder against the bytes nft itself sends (`nft --debug=netlink`
// prints them as host-order 32-bit words; the expectations below are those words' bytes),
// and its refusals of text a set cannot hold.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodeFields, parseLayout, replaceSetsBatch } from "./nft-set-elements.js";

/** nft's debug words (little-endian host) as bytes. */
const words = (...ws: string[]) => Buffer.concat(ws.map((w) => Buffer.from(w, "hex").reverse()));

describe("parseLayout", () => {
  it("reads type and typeof declarations", () => {
    assert.deepEqual(parseLayout("type ipv4_addr . inet_proto . inet_service : verdict"), {
      key: ["ipv4_addr", "inet_proto", "inet_service"],
      data: ["verdict"],
    });
    assert.deepEqual(
      parseLayout("typeof ip daddr . tcp dport . numgen random mod 1 : ip daddr . tcp dport"),
      {
        key: ["ipv4_addr", "inet_service", "u32"],
        data: ["ipv4_addr", "inet_service"],
      },
    );
    assert.deepEqual(parseLayout("type ipv4_addr . ipv4_addr"), { key: ["ipv4_addr", "ipv4_addr"] });
    assert.deepEqual(parseLayout("type mark : ipv4_addr; flags dynamic"), {
      key: ["u32"],
      data: ["ipv4_addr"],
    });
  });

  it("refuses what it cannot encode, by name", () => {
    assert.throws(() => parseLayout("type ipv6_addr"), /unsupported type "ipv6_addr"/);
    assert.throws(() => parseLayout("typeof ip6 daddr"), /unsupported typeof expression "ip6 daddr"/);
  });
});

describe("encodeFields (as nft --debug=netlink shows them)", () => {
  it("a concatenation: each field in a 4-byte register, network order but for integers", () => {
    const svc = parseLayout("type ipv4_addr . inet_proto . inet_service : verdict");
    assert.deepEqual(
      encodeFields(svc.key, "10.96.0.5 . tcp . 80"),
      words("0500600a", "00000006", "00005000"),
    );
    assert.deepEqual(
      encodeFields(svc.key, "10.96.0.6 . udp . 53"),
      words("0600600a", "00000011", "00003500"),
    );
    const eps = parseLayout("typeof ip daddr . tcp dport . numgen random mod 1 : ip daddr . tcp dport");
    assert.deepEqual(encodeFields(eps.key, "10.96.0.5 . 80 . 2"), words("0500600a", "00005000", "00000002"));
    assert.deepEqual(encodeFields(eps.data!, "10.244.1.7 . 8080"), words("0701f40a", "0000901f"));
    const np = parseLayout("typeof tcp dport . numgen random mod 1 : ip daddr . tcp dport");
    assert.deepEqual(encodeFields(np.key, "30080 . 1"), words("00008075", "00000001"));
  });

  it("a single field takes its own size", () => {
    assert.deepEqual(encodeFields(["inet_service"], "8080"), Buffer.from([0x1f, 0x90]));
    assert.deepEqual(encodeFields(["ipv4_addr"], "10.244.1.7"), Buffer.from([10, 244, 1, 7]));
    assert.deepEqual(encodeFields(["inet_proto"], "udp"), Buffer.from([17]));
  });

  it("refuses malformed fields and wrong field counts", () => {
    for (const [types, text, why] of [
      [["ipv4_addr"], "10.244.1", /not an IPv4 address: "10.244.1"/],
      [["ipv4_addr"], "10.244.1.256", /not an IPv4 address/],
      [["ipv4_addr"], "10..1.2", /not an IPv4 address/],
      [["inet_service"], "65536", /not a port: "65536"/],
      [["inet_service"], "", /not a port/],
      [["inet_proto"], "tcpp", /not a protocol: "tcpp"/],
      [["ipv4_addr", "inet_service"], "10.0.0.1", /fewer fields/],
      [["ipv4_addr", "inet_service"], "10.0.0.1 . 80 . 3", /more fields/],
    ] as const) {
      assert.throws(() => encodeFields([...types], text), why, `${types} "${text}"`);
    }
  });
});

describe("replaceSetsBatch", () => {
  const svc = parseLayout("type ipv4_addr . inet_proto . inet_service : verdict");

  it("a batch: begin, per set a flush and element messages, end; every set message asks for an ack", () => {
    const b = replaceSetsBatch("ip", "t", [
      {
        name: "service-ips",
        layout: svc,
        elements: [{ key: "10.96.0.5 . tcp . 80", value: "goto cluster-ip-3" }],
      },
      { name: "hairpin", layout: parseLayout("type ipv4_addr . ipv4_addr"), elements: [] },
    ]);
    const msgs: Array<{ type: number; flags: number; seq: number }> = [];
    for (let at = 0; at < b.bytes.length; ) {
      const len = b.bytes.readUInt32LE(at);
      msgs.push({
        type: b.bytes.readUInt16LE(at + 4),
        flags: b.bytes.readUInt16LE(at + 6),
        seq: b.bytes.readUInt32LE(at + 8),
      });
      assert.equal(len % 4, 0, "messages are 4-byte aligned");
      at += len;
    }
    assert.deepEqual(
      msgs.map((m) => m.type.toString(16)),
      ["10", "a0e", "a0c", "a0e", "11"],
      "BATCH_BEGIN, DELSETELEM (flush), NEWSETELEM, DELSETELEM (flush of the empty one), BATCH_END",
    );
    assert.deepEqual(
      [...b.acked.values()],
      ["flush service-ips", "add elements 1-1 of 1 to service-ips", "flush hairpin"],
    );
    assert.ok(msgs.slice(1, 4).every((m) => (m.flags & 0x4) !== 0 && b.acked.has(m.seq)));
    // The verdict: NFT_GOTO (-4) and the chain's name, NUL-terminated.
    assert.ok(b.bytes.includes(Buffer.from([0xff, 0xff, 0xff, 0xfc])));
    assert.ok(b.bytes.includes(Buffer.from("cluster-ip-3\0")));
  });

  it("splits a big set into messages whose element lists fit a 16-bit attribute length", () => {
    const elements = Array.from({ length: 5000 }, (_, i) => ({
      key: `10.96.${i >> 8}.${i & 255} . tcp . 80`,
      value: "goto cluster-ip-10",
    }));
    const b = replaceSetsBatch("ip", "t", [{ name: "service-ips", layout: svc, elements }]);
    const ranges = [...b.acked.values()]
      .map((w) => /^add elements (\d+)-(\d+) of 5000/.exec(w))
      .filter((m) => m !== null)
      .map((m) => [Number(m[1]), Number(m[2])]);
    assert.ok(ranges.length > 1, `${ranges.length} messages`);
    let next = 1;
    for (const [from, to] of ranges) {
      assert.equal(from, next, "contiguous");
      next = to! + 1;
    }
    assert.equal(next, 5001, "every element once");
  });

  it("names the set and element it cannot encode, before anything is sent", () => {
    assert.throws(
      () =>
        replaceSetsBatch("ip", "t", [
          { name: "service-ips", layout: svc, elements: [{ key: "10.96.0.5 . tcp . 80", value: "jump" }] },
        ]),
      /t service-ips: element "10.96.0.5 . tcp . 80 : jump": not a verdict: "jump"/,
    );
    assert.throws(
      () =>
        replaceSetsBatch("ip", "t", [
          { name: "service-ips", layout: svc, elements: [{ key: "10.96.0.5 . tcp . 80" }] },
        ]),
      /a map element needs a value/,
    );
  });
});
