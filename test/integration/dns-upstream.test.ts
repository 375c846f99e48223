/**
 * Forwarding to a real upstream: Knot DNS on 127.0.53.2 serves example.test; the cluster DNS
 * on 127.0.53.4 forwards names outside the cluster there (UDP, TCP when the upstream
 * truncates), chases ExternalName targets, and turns a silent upstream into SERVFAIL.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { after, before, test } from "node:test";
import { service } from "../../src/dns/testdata.js";
import { type ClusterDns, dig, startClusterDns } from "./dns-fixture.js";
import { type Knot, startKnot } from "./knot-fixture.js";

const bigTxt = Array.from({ length: 40 }, (_, i) => `big TXT "record ${i} ${"x".repeat(50)}"`).join("\n");
const ZONE = `$ORIGIN example.test.
$TTL 300
@ SOA ns.example.test. admin.example.test. 1 3600 600 86400 300
@ NS ns.example.test.
ns A 127.0.53.2
www A 192.0.2.53
www AAAA 2001:db8::53
alias CNAME www.example.test.
${bigTxt}
`;

let knot: Knot;
let dns: ClusterDns;
const q = (...args: string[]) => dig("127.0.53.4", dns.server.port, args);

before(async () => {
  knot = await startKnot("127.0.53.2", { "example.test": ZONE });
  dns = await startClusterDns("127.0.53.4", { upstreams: [{ ip: knot.address, port: knot.port }] });
});
after(async () => {
  await dns?.close();
  await knot?.stop();
});

test("names outside the cluster are answered by the upstream (RA set, not authoritative)", async () => {
  const r = await q("www.example.test");
  assert.equal(r.status, "NOERROR");
  assert.deepEqual(r.answer, ["www.example.test. 300 IN A 192.0.2.53"]);
  assert.ok(r.flags.includes("ra") && !r.flags.includes("aa"), r.raw);
  assert.deepEqual((await q("www.example.test", "AAAA")).answer, [
    "www.example.test. 300 IN AAAA 2001:db8::53",
  ]);
  assert.deepEqual((await q("alias.example.test")).answer, [
    "alias.example.test. 300 IN CNAME www.example.test.",
    "www.example.test. 300 IN A 192.0.2.53",
  ]);
});

test("the upstream's NXDOMAIN comes through with its SOA", async () => {
  const r = await q("nope.example.test");
  assert.equal(r.status, "NXDOMAIN");
  assert.match(r.authority[0] ?? "", /^example\.test\. 300 IN SOA ns\.example\.test\./);
});

test("cluster names stay authoritative with an upstream configured (and RA is set)", async () => {
  const r = await q("web.shop.svc.cluster.local");
  assert.deepEqual(r.answer, ["web.shop.svc.cluster.local. 30 IN A 10.96.0.20"]);
  assert.ok(r.flags.includes("aa") && r.flags.includes("ra"), r.raw);
});

test("ExternalName pointing outside the cluster: CNAME plus the upstream's answer", async () => {
  dns.store.apply(service("shop", "partner", { type: "ExternalName", externalName: "www.example.test" }));
  await new Promise((r) => setTimeout(r, 20));
  const r = await q("partner.shop.svc.cluster.local");
  assert.deepEqual(r.answer, [
    "partner.shop.svc.cluster.local. 30 IN CNAME www.example.test.",
    "www.example.test. 300 IN A 192.0.2.53",
  ]);
});

test("a large upstream answer: upstream truncates, we retry it over TCP; the client retries over TCP too", async () => {
  const r = await q("+noedns", "big.example.test", "TXT");
  assert.match(r.raw, /Truncated, retrying in TCP mode/);
  assert.equal(r.answer.length, 40);
  const viaTcp = await q("+tcp", "big.example.test", "TXT");
  assert.equal(viaTcp.answer.length, 40);
});

test("a silent upstream gives SERVFAIL after the timeout, and the server keeps serving", async () => {
  const silent = dgram.createSocket("udp4");
  await new Promise<void>((r) => silent.bind(0, "127.0.53.5", r));
  const mute = await startClusterDns("127.0.53.6", {
    upstreams: [{ ip: "127.0.53.5", port: silent.address().port }],
    timeoutMs: 300,
  });
  try {
    const t0 = Date.now();
    const r = await dig("127.0.53.6", mute.server.port, ["+time=3", "example.org"]);
    assert.equal(r.status, "SERVFAIL");
    assert.ok(Date.now() - t0 < 2500);
    assert.equal(mute.handler.stats().forwardsInFlight, 0);
    assert.equal(
      (await dig("127.0.53.6", mute.server.port, ["web.shop.svc.cluster.local"])).status,
      "NOERROR",
    );
  } finally {
    await mute.close();
    silent.close();
  }
});
