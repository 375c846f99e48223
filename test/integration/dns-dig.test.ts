/**
 * The cluster DNS server answering dig (bind9-dnsutils) on 127.0.53.1: every record type
 * and rcode of the Kubernetes DNS spec as a real client sees them, over UDP and TCP, with
 * EDNS, truncation and dig's automatic TCP retry.
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { after, before, test } from "node:test";
import { service, slice } from "../../src/dns/testdata.js";
import { type ClusterDns, dig, startClusterDns } from "./dns-fixture.js";

const ADDR = "127.0.53.1";
let dns: ClusterDns;
const q = (...args: string[]) => dig(ADDR, dns.server.port, args);

before(async () => {
  dns = await startClusterDns(ADDR);
});
after(async () => {
  await dns?.close();
});

test("A for a ClusterIP Service, any letter case, authoritative, TTL 30", async () => {
  const r = await q("Web.SHOP.svc.Cluster.Local", "A");
  assert.equal(r.status, "NOERROR");
  assert.ok(r.flags.includes("aa"), r.raw);
  assert.deepEqual(r.answer, ["Web.SHOP.svc.Cluster.Local. 30 IN A 10.96.0.20"]);
});

test("AAAA for a dual-stack Service; PTR for both families (dig -x)", async () => {
  assert.deepEqual((await q("dual.shop.svc.cluster.local", "AAAA")).answer, [
    "dual.shop.svc.cluster.local. 30 IN AAAA fd00:10:96::40",
  ]);
  assert.deepEqual((await q("-x", "10.96.0.20")).answer, [
    "20.0.96.10.in-addr.arpa. 30 IN PTR web.shop.svc.cluster.local.",
  ]);
  const v6 = await q("-x", "fd00:10:96::40");
  assert.equal(v6.answer.length, 1);
  assert.match(v6.answer[0]!, /ip6\.arpa\. 30 IN PTR dual\.shop\.svc\.cluster\.local\.$/);
});

test("headless Service: A per ready endpoint, hostname records, SRV with addresses, endpoint PTR", async () => {
  assert.deepEqual((await q("db.shop.svc.cluster.local")).answer.sort(), [
    "db.shop.svc.cluster.local. 30 IN A 10.244.1.5",
    "db.shop.svc.cluster.local. 30 IN A 10.244.1.7",
    "db.shop.svc.cluster.local. 30 IN A 10.244.2.6",
  ]);
  assert.deepEqual((await q("db-0.db.shop.svc.cluster.local")).answer, [
    "db-0.db.shop.svc.cluster.local. 30 IN A 10.244.1.5",
  ]);
  // A not-ready endpoint (db-3) has no name.
  assert.equal((await q("db-3.db.shop.svc.cluster.local")).status, "NXDOMAIN");
  const srv = await q("_pg._tcp.db.shop.svc.cluster.local", "SRV");
  assert.deepEqual(srv.answer.sort(), [
    "_pg._tcp.db.shop.svc.cluster.local. 30 IN SRV 0 33 5432 10-244-1-7.db.shop.svc.cluster.local.",
    "_pg._tcp.db.shop.svc.cluster.local. 30 IN SRV 0 33 5432 db-0.db.shop.svc.cluster.local.",
    "_pg._tcp.db.shop.svc.cluster.local. 30 IN SRV 0 33 5432 db-1.db.shop.svc.cluster.local.",
  ]);
  assert.equal(srv.additional.length, 3, srv.raw);
  assert.deepEqual((await q("-x", "10.244.2.6")).answer, [
    "6.2.244.10.in-addr.arpa. 30 IN PTR db-1.db.shop.svc.cluster.local.",
  ]);
});

test("SRV for a ClusterIP Service's named ports, TCP and UDP", async () => {
  assert.deepEqual((await q("_http._tcp.web.shop.svc.cluster.local", "SRV")).answer, [
    "_http._tcp.web.shop.svc.cluster.local. 30 IN SRV 0 100 80 web.shop.svc.cluster.local.",
  ]);
  assert.deepEqual((await q("_dns._udp.web.shop.svc.cluster.local", "SRV")).answer, [
    "_dns._udp.web.shop.svc.cluster.local. 30 IN SRV 0 100 53 web.shop.svc.cluster.local.",
  ]);
});

test("ExternalName CNAME; dns-version TXT; apex SOA and NS", async () => {
  assert.deepEqual((await q("ext.shop.svc.cluster.local")).answer, [
    "ext.shop.svc.cluster.local. 30 IN CNAME www.example.com.",
  ]);
  assert.deepEqual((await q("dns-version.cluster.local", "TXT")).answer, [
    'dns-version.cluster.local. 30 IN TXT "1.1.0"',
  ]);
  const soa = await q("cluster.local", "SOA");
  assert.match(
    soa.answer[0] ?? "",
    /^cluster\.local\. 30 IN SOA ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 30$/,
  );
  assert.deepEqual((await q("cluster.local", "NS")).answer, [
    "cluster.local. 30 IN NS ns.dns.cluster.local.",
  ]);
});

test("pod records a-b-c-d.<ns>.pod", async () => {
  assert.deepEqual((await q("10-244-1-5.shop.pod.cluster.local")).answer, [
    "10-244-1-5.shop.pod.cluster.local. 30 IN A 10.244.1.5",
  ]);
  assert.equal((await q("10-244-1-5.nowhere.pod.cluster.local")).status, "NXDOMAIN");
});

test("NXDOMAIN and NODATA with the SOA in authority; a Service with no endpoints still resolves", async () => {
  const nx = await q("missing.shop.svc.cluster.local");
  assert.equal(nx.status, "NXDOMAIN");
  assert.deepEqual(nx.answer, []);
  assert.match(nx.authority[0] ?? "", /^cluster\.local\. 30 IN SOA /);
  const nodata = await q("web.shop.svc.cluster.local", "AAAA");
  assert.equal(nodata.status, "NOERROR");
  assert.deepEqual(nodata.answer, []);
  assert.match(nodata.authority[0] ?? "", /^cluster\.local\. 30 IN SOA /);
  assert.equal((await q("shop.svc.cluster.local")).status, "NOERROR");
  assert.deepEqual((await q("lonely.shop.svc.cluster.local")).answer, [
    "lonely.shop.svc.cluster.local. 30 IN A 10.96.0.30",
  ]);
  assert.equal((await q("empty.shop.svc.cluster.local")).status, "NXDOMAIN");
});

test("REFUSED outside the cluster without upstreams; NOTIMP for NOTIFY and AXFR; BADVERS for EDNS 1", async () => {
  assert.equal((await q("example.com")).status, "REFUSED");
  assert.equal((await q("+opcode=notify", "web.shop.svc.cluster.local")).status, "NOTIMP");
  // dig always transfers over TCP and reports the NOTIMP answer as a failed transfer.
  assert.match((await q("cluster.local", "AXFR")).raw, /Transfer failed/);
  assert.equal((await q("+edns=1", "+noednsnegotiation", "web.shop.svc.cluster.local")).status, "BADVERS");
});

test("EDNS: the reply carries OPT with udp 1232; TCP works directly", async () => {
  const r = await q("+edns=0", "web.shop.svc.cluster.local");
  assert.match(r.raw, /EDNS: version: 0, flags:; udp: 1232/);
  assert.deepEqual((await q("+tcp", "web.shop.svc.cluster.local")).answer, [
    "web.shop.svc.cluster.local. 30 IN A 10.96.0.20",
  ]);
});

test("truncation: TC over UDP, dig retries over TCP and gets every record", async () => {
  dns.store.apply(service("shop", "big", { clusterIP: "None" }));
  const eps = Array.from({ length: 80 }, (_, i) => ({ ip: `10.244.4.${i + 1}` }));
  dns.store.apply(slice("shop", "big", "big-1", eps, [{ name: "http", port: 80 }]));
  await new Promise((r) => setTimeout(r, 20));
  const ignoreTc = await q("+ignore", "+noedns", "big.shop.svc.cluster.local");
  assert.ok(ignoreTc.flags.includes("tc"), ignoreTc.raw);
  assert.deepEqual(ignoreTc.answer, []);
  const retried = await q("+noedns", "big.shop.svc.cluster.local");
  assert.match(retried.raw, /Truncated, retrying in TCP mode/);
  assert.equal(retried.answer.length, 80);
  const srv = await q("_http._tcp.big.shop.svc.cluster.local", "SRV");
  assert.equal(srv.answer.length, 80);
});

test("a new Service resolves within 1 s of being applied", async () => {
  const t0 = Date.now();
  dns.store.apply(service("shop", "fresh", { clusterIP: "10.96.0.99", clusterIPs: ["10.96.0.99"] }));
  let r = await q("fresh.shop.svc.cluster.local");
  while (r.status !== "NOERROR" && Date.now() - t0 < 1000) r = await q("fresh.shop.svc.cluster.local");
  assert.deepEqual(r.answer, ["fresh.shop.svc.cluster.local. 30 IN A 10.96.0.99"]);
  assert.ok(Date.now() - t0 < 1000);
});

test("FORMERR for a malformed query sent as a raw datagram", async () => {
  const sock = dgram.createSocket("udp4");
  try {
    // Header claiming one question, followed by a label that runs past the end.
    const bad = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 40, 0x61, 0x62]);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no reply to a malformed query")), 2000);
      sock.once("message", (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      sock.send(bad, dns.server.port, ADDR);
    });
    assert.equal(reply.readUInt16BE(0), 0x1234);
    assert.equal(reply.readUInt16BE(2) & 0x800f, 0x8001); // QR, FORMERR
  } finally {
    sock.close();
  }
});

test("SERVFAIL until the first full sync", async () => {
  const cold = await startClusterDns("127.0.53.9", { sync: false });
  try {
    assert.equal(
      (await dig("127.0.53.9", cold.server.port, ["web.shop.svc.cluster.local"])).status,
      "SERVFAIL",
    );
    cold.sync.start();
    assert.equal(
      (await dig("127.0.53.9", cold.server.port, ["web.shop.svc.cluster.local"])).status,
      "NOERROR",
    );
  } finally {
    await cold.close();
  }
});
