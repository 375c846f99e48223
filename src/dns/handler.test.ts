import assert from "node:assert/strict";
import { test } from "node:test";
import dnsPacket, { type Answer, type DecodedPacket } from "dns-packet";
import { Store } from "../cluster/store.js";
import { QueryHandler } from "./handler.js";
import { type DnsRecord, records } from "./records.js";
import { ZoneSync } from "./sync.js";
import { DOMAIN, sampleState, service, slice } from "./testdata.js";
import { Zone } from "./zone.js";

function setup(opts: { sync?: boolean } = {}) {
  const store = new Store();
  const s = sampleState();
  for (const o of [...s.namespaces, ...s.services, ...s.endpointSlices, ...s.pods]) store.apply(o);
  const zone = new Zone(DOMAIN, 30);
  const sync = new ZoneSync(store, zone);
  if (opts.sync !== false) sync.start();
  const handler = new QueryHandler({ zone, ready: () => sync.ready });
  return { store, zone, sync, handler };
}

interface Ask {
  type?: string;
  edns?: number;
  flags?: number;
  transport?: "udp" | "tcp";
}

async function ask(h: QueryHandler, name: string, o: Ask = {}): Promise<DecodedPacket & { rcode: string }> {
  const q = dnsPacket.encode({
    type: "query",
    id: 4242,
    flags: o.flags ?? dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: (o.type ?? "A") as "A", class: "IN" }],
    additionals: o.edns
      ? [
          {
            name: ".",
            type: "OPT",
            udpPayloadSize: o.edns,
            extendedRcode: 0,
            ednsVersion: 0,
            flags: 0,
            flag_do: false,
            options: [],
          },
        ]
      : [],
  });
  const out = await h.handle(q, o.transport ?? "udp");
  assert.ok(out, `no response to ${name}`);
  const r = dnsPacket.decode(out) as DecodedPacket & { rcode: string };
  assert.equal(r.id, 4242);
  return r;
}

const rcodeOfReply = (b: Buffer) => (dnsPacket.decode(b) as DecodedPacket & { rcode: string }).rcode;

const data = (rrs: Answer[] | undefined) =>
  (rrs ?? []).map((a) => `${a.name} ${a.type} ${JSON.stringify((a as { data?: unknown }).data)}`);

test("A for a ClusterIP Service, case-insensitive, owner spelled as asked, AA set", async () => {
  const { handler } = setup();
  const r = await ask(handler, "WEB.Shop.SVC.cluster.local");
  assert.equal(r.rcode, "NOERROR");
  assert.ok(r.flag_aa);
  assert.deepEqual(data(r.answers), ['WEB.Shop.SVC.cluster.local A "10.96.0.20"']);
  assert.equal((r.answers![0] as { ttl?: number }).ttl, 30);
  assert.equal(r.questions![0]!.name, "WEB.Shop.SVC.cluster.local");
});

test("NXDOMAIN and NODATA both carry the SOA; empty non-terminals are NODATA", async () => {
  const { handler } = setup();
  for (const [name, type, rcode] of [
    ["nope.shop.svc.cluster.local", "A", "NXDOMAIN"],
    ["web.nope.svc.cluster.local", "A", "NXDOMAIN"],
    ["web.shop.svc.cluster.local", "AAAA", "NOERROR"],
    ["web.shop.svc.cluster.local", "TXT", "NOERROR"],
    ["shop.svc.cluster.local", "A", "NOERROR"],
    ["svc.cluster.local", "A", "NOERROR"],
    ["_tcp.web.shop.svc.cluster.local", "SRV", "NOERROR"],
    ["empty.shop.svc.cluster.local", "A", "NXDOMAIN"],
  ] as const) {
    const r = await ask(handler, name, { type });
    assert.equal(r.rcode, rcode, `${name} ${type}`);
    assert.deepEqual(r.answers, [], `${name} ${type}`);
    assert.equal(r.authorities?.length, 1, `${name} ${type}`);
    const soa = r.authorities![0]!;
    assert.equal(soa.type, "SOA");
    assert.equal(soa.name, "cluster.local");
    assert.equal((soa.data as { minimum: number }).minimum, 30);
  }
});

test("SRV with the target's address in the additional section; PTR; TXT dns-version", async () => {
  const { handler } = setup();
  const srv = await ask(handler, "_http._tcp.web.shop.svc.cluster.local", { type: "SRV" });
  assert.deepEqual(data(srv.answers), [
    '_http._tcp.web.shop.svc.cluster.local SRV {"priority":0,"weight":100,"port":80,"target":"web.shop.svc.cluster.local"}',
  ]);
  assert.deepEqual(data(srv.additionals), ['web.shop.svc.cluster.local A "10.96.0.20"']);
  const ptr = await ask(handler, "20.0.96.10.in-addr.arpa", { type: "PTR" });
  assert.deepEqual(data(ptr.answers), ['20.0.96.10.in-addr.arpa PTR "web.shop.svc.cluster.local"']);
  const txt = await ask(handler, "dns-version.cluster.local", { type: "TXT" });
  assert.equal(txt.answers?.[0]?.type, "TXT");
  assert.deepEqual(
    (txt.answers![0]!.data as Buffer[]).map((b) => b.toString()),
    ["1.1.0"],
  );
});

test("ExternalName: CNAME; a target inside the zone is followed", async () => {
  const { handler } = setup();
  const ext = await ask(handler, "ext.shop.svc.cluster.local");
  assert.equal(ext.rcode, "NOERROR");
  assert.deepEqual(data(ext.answers), ['ext.shop.svc.cluster.local CNAME "www.example.com"']);
  const alias = await ask(handler, "alias.shop.svc.cluster.local");
  assert.deepEqual(data(alias.answers), [
    'alias.shop.svc.cluster.local CNAME "web.shop.svc.cluster.local"',
    'web.shop.svc.cluster.local A "10.96.0.20"',
  ]);
});

test("pod records: a-b-c-d.<ns>.pod for existing namespaces, AAAA for dashed IPv6", async () => {
  const { handler } = setup();
  const a = await ask(handler, "10-244-9-9.shop.pod.cluster.local");
  assert.deepEqual(data(a.answers), ['10-244-9-9.shop.pod.cluster.local A "10.244.9.9"']);
  const v6 = await ask(handler, "fd00-10-244--9.shop.pod.cluster.local", { type: "AAAA" });
  assert.deepEqual(data(v6.answers), ['fd00-10-244--9.shop.pod.cluster.local AAAA "fd00:10:244::9"']);
  assert.equal((await ask(handler, "10-244-9-9.nowhere.pod.cluster.local")).rcode, "NXDOMAIN");
  assert.equal((await ask(handler, "not-an-ip.shop.pod.cluster.local")).rcode, "NXDOMAIN");
  const nodata = await ask(handler, "10-244-9-9.shop.pod.cluster.local", { type: "AAAA" });
  assert.equal(nodata.rcode, "NOERROR");
  assert.deepEqual(nodata.answers, []);
  assert.equal((await ask(handler, "shop.pod.cluster.local")).rcode, "NOERROR");
});

test("apex: SOA and NS with the NS address in the additional section", async () => {
  const { handler } = setup();
  const soa = await ask(handler, "cluster.local", { type: "SOA" });
  assert.equal(soa.answers?.[0]?.type, "SOA");
  const ns = await ask(handler, "cluster.local", { type: "NS" });
  assert.deepEqual(data(ns.answers), ['cluster.local NS "ns.dns.cluster.local"']);
  assert.deepEqual(data(ns.additionals), ['ns.dns.cluster.local A "10.96.0.10"']);
});

test("SERVFAIL for cluster names until the first full sync", async () => {
  const { handler, sync } = setup({ sync: false });
  assert.equal((await ask(handler, "web.shop.svc.cluster.local")).rcode, "SERVFAIL");
  sync.start();
  assert.equal((await ask(handler, "web.shop.svc.cluster.local")).rcode, "NOERROR");
});

test("names outside the cluster without upstreams: REFUSED; meta types NOTIMP; other classes REFUSED", async () => {
  const { handler } = setup();
  assert.equal((await ask(handler, "example.com")).rcode, "REFUSED");
  assert.equal((await ask(handler, "1.2.3.4.in-addr.arpa", { type: "PTR" })).rcode, "REFUSED");
  assert.equal((await ask(handler, "cluster.local", { type: "AXFR" })).rcode, "NOTIMP");
  const ch = dnsPacket.encode({
    type: "query",
    id: 1,
    questions: [{ name: "version.bind", type: "TXT", class: "CH" }],
  });
  assert.equal(rcodeOfReply((await handler.handle(ch, "udp"))!), "REFUSED");
});

test("malformed queries: FORMERR; other opcodes: NOTIMP; responses and runts: no answer", async () => {
  const { handler } = setup();
  const good = dnsPacket.encode({
    type: "query",
    id: 7,
    questions: [{ name: "web.shop.svc.cluster.local", type: "A" }],
  });
  const rcodeOf = async (b: Buffer) => {
    const out = await handler.handle(b, "udp");
    return out && rcodeOfReply(out);
  };
  const twoQ = Buffer.from(good);
  twoQ.writeUInt16BE(2, 4);
  assert.equal(await rcodeOf(twoQ), "FORMERR");
  const noQ = Buffer.from(good);
  noQ.writeUInt16BE(0, 4);
  assert.equal(await rcodeOf(noQ), "FORMERR");
  assert.equal(await rcodeOf(good.subarray(0, good.length - 3)), "FORMERR");
  const extraAnswer = Buffer.from(good);
  extraAnswer.writeUInt16BE(1, 6); // claims an answer record that is not there
  assert.equal(await rcodeOf(extraAnswer), "FORMERR");
  const notify = Buffer.from(good);
  notify.writeUInt16BE(4 << 11, 2);
  assert.equal(await rcodeOf(notify), "NOTIMP");
  const response = Buffer.from(good);
  response.writeUInt16BE(0x8000, 2);
  assert.equal(await handler.handle(response, "udp"), undefined);
  assert.equal(await handler.handle(Buffer.from([1, 2, 3]), "udp"), undefined);
});

test("EDNS: OPT in the reply with our size; version 1 gets BADVERS", async () => {
  const { handler } = setup();
  const r = await ask(handler, "web.shop.svc.cluster.local", { edns: 4096 });
  const opt = r.additionals?.find((a) => a.type === "OPT") as { udpPayloadSize: number } | undefined;
  assert.equal(opt?.udpPayloadSize, 1232);
  const plain = await ask(handler, "web.shop.svc.cluster.local");
  assert.equal(plain.additionals?.length, 0);
  const q = dnsPacket.encode({
    type: "query",
    id: 9,
    questions: [{ name: "web.shop.svc.cluster.local", type: "A" }],
    additionals: [
      {
        name: ".",
        type: "OPT",
        udpPayloadSize: 1232,
        extendedRcode: 0,
        ednsVersion: 1,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ],
  });
  const bad = dnsPacket.decode((await handler.handle(q, "udp"))!);
  const badOpt = bad.additionals?.find((a) => a.type === "OPT") as { extendedRcode: number } | undefined;
  assert.equal(badOpt?.extendedRcode, 1); // (1 << 4) | 0 = 16 = BADVERS
  assert.deepEqual(bad.answers, []);
});

test("truncation: a large headless answer sets TC over UDP and comes whole over TCP", async () => {
  const { handler, store } = setup();
  store.apply(service("shop", "big", { clusterIP: "None" }));
  const eps = Array.from({ length: 60 }, (_, i) => ({ ip: `10.244.3.${i + 1}` }));
  store.apply(slice("shop", "big", "big-1", eps, [{ name: "http", port: 80 }]));
  await new Promise((r) => setImmediate(r));
  const udp = await ask(handler, "big.shop.svc.cluster.local");
  assert.ok(udp.flag_tc);
  assert.deepEqual(udp.answers, []);
  // 15 addresses need more than 512 bytes but fit the 1232 of EDNS.
  store.apply(service("shop", "mid", { clusterIP: "None" }));
  store.apply(slice("shop", "mid", "mid-1", eps.slice(0, 15), []));
  await new Promise((r) => setImmediate(r));
  assert.ok((await ask(handler, "mid.shop.svc.cluster.local")).flag_tc);
  const edns = await ask(handler, "mid.shop.svc.cluster.local", { edns: 1232 });
  assert.ok(!edns.flag_tc);
  assert.equal(edns.answers?.length, 15);
  const srvUdp = await ask(handler, "_http._tcp.big.shop.svc.cluster.local", { type: "SRV", edns: 4096 });
  assert.ok(srvUdp.flag_tc);
  const srv = await ask(handler, "_http._tcp.big.shop.svc.cluster.local", { type: "SRV", transport: "tcp" });
  assert.ok(!srv.flag_tc);
  assert.equal(srv.answers?.length, 60);
  assert.equal(srv.additionals?.length, 60);
});

test("live changes: new, changed and deleted Services show at once (cache included)", async () => {
  const { handler, store } = setup();
  assert.equal((await ask(handler, "api.shop.svc.cluster.local")).rcode, "NXDOMAIN");
  store.apply(service("shop", "api", { clusterIP: "10.96.0.77", clusterIPs: ["10.96.0.77"] }));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(data((await ask(handler, "api.shop.svc.cluster.local")).answers), [
    'api.shop.svc.cluster.local A "10.96.0.77"',
  ]);
  store.apply(service("shop", "api", { clusterIP: "10.96.0.78", clusterIPs: ["10.96.0.78"] }));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(data((await ask(handler, "api.shop.svc.cluster.local")).answers), [
    'api.shop.svc.cluster.local A "10.96.0.78"',
  ]);
  store.delete("Service", "shop", "api");
  await new Promise((r) => setImmediate(r));
  assert.equal((await ask(handler, "api.shop.svc.cluster.local")).rcode, "NXDOMAIN");
  assert.ok(handler.stats().cacheHits === 0);
});

test("incremental sync equals a full rebuild after a random sequence of changes", async () => {
  const { store, zone } = setup();
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let step = 0; step < 400; step++) {
    const name = `s${rand(12)}`;
    const k = rand(6);
    if (k === 0) store.delete("Service", "shop", name);
    else if (k === 1) store.apply(service("shop", name, { clusterIP: `10.96.1.${rand(200)}` }));
    else if (k === 2) store.apply(service("shop", name, { clusterIP: "None" }));
    else if (k === 3) {
      const eps = Array.from({ length: rand(4) }, () => ({
        ip: `10.244.0.${rand(250)}`,
        ready: rand(3) > 0,
        pod: `p${rand(5)}`,
      }));
      store.apply(slice("shop", name, `${name}-x`, eps, [{ name: "web", port: 80 }]));
    } else if (k === 4) store.delete("EndpointSlice", "shop", `${name}-x`);
    else
      store.apply({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: `p${rand(5)}`, namespace: "shop" },
        spec: { hostname: `h${rand(3)}`, subdomain: name },
      });
    if (rand(5) === 0) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => setImmediate(r));
  const full = records(
    { services: store.list("Service"), endpointSlices: store.list("EndpointSlice"), pods: store.list("Pod") },
    { domain: DOMAIN, ttl: 30 },
  );
  const key = (r: DnsRecord) => `${r.name} ${r.type} ${JSON.stringify(r.data)}`;
  assert.deepEqual(zone.allRecords().map(key).sort(), full.map(key).sort());
});
