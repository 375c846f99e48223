import assert from "node:assert/strict";
import { test } from "node:test";
import { dashedIp, parseDashedIp, reverseName } from "./names.js";
import { type DnsRecord, records } from "./records.js";
import { DOMAIN, sampleState, service, slice } from "./testdata.js";

const opts = { domain: DOMAIN, ttl: 30 };

function show(rrs: DnsRecord[]): string[] {
  return rrs
    .map((r) => {
      const d = r.data as unknown;
      const data =
        r.type === "SRV"
          ? `${r.data.priority} ${r.data.weight} ${r.data.port} ${r.data.target}`
          : Array.isArray(d)
            ? d.join(" ")
            : String(d);
      return `${r.name} ${r.ttl} ${r.type} ${data}`;
    })
    .sort();
}

function recordsOf(name: string): string[] {
  const all = show(records(sampleState(), opts));
  return all.filter((l) => l.startsWith(`${name} `));
}

test("names: reverse names for IPv4 and IPv6, dashed IPs both ways", () => {
  assert.equal(reverseName("10.96.0.20"), "20.0.96.10.in-addr.arpa");
  assert.equal(
    reverseName("fd00:10:96::40"),
    "0.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.1.0.0.0.0.d.f.ip6.arpa",
  );
  assert.equal(dashedIp("10.244.1.7"), "10-244-1-7");
  assert.equal(dashedIp("fd00:10:244::5"), "fd00-10-244--5");
  assert.equal(parseDashedIp("10-244-1-7"), "10.244.1.7");
  assert.equal(parseDashedIp("fd00-10-244--5"), "fd00:10:244::5");
  assert.equal(parseDashedIp("10-244-1-300"), undefined);
  assert.equal(parseDashedIp("web"), undefined);
});

test("ClusterIP Service: A, SRV for named ports only (TCP and UDP), PTR", () => {
  assert.deepEqual(recordsOf("web.shop.svc.cluster.local"), ["web.shop.svc.cluster.local 30 A 10.96.0.20"]);
  assert.deepEqual(recordsOf("_http._tcp.web.shop.svc.cluster.local"), [
    "_http._tcp.web.shop.svc.cluster.local 30 SRV 0 100 80 web.shop.svc.cluster.local",
  ]);
  assert.deepEqual(recordsOf("_dns._udp.web.shop.svc.cluster.local"), [
    "_dns._udp.web.shop.svc.cluster.local 30 SRV 0 100 53 web.shop.svc.cluster.local",
  ]);
  assert.deepEqual(recordsOf("20.0.96.10.in-addr.arpa"), [
    "20.0.96.10.in-addr.arpa 30 PTR web.shop.svc.cluster.local",
  ]);
  // Endpoints of a ClusterIP Service get no names of their own.
  assert.deepEqual(
    show(records(sampleState(), opts)).filter((l) => l.includes("10.244.1.20")),
    [],
  );
});

test("dual-stack Service: A and AAAA, PTR in in-addr.arpa and ip6.arpa", () => {
  assert.deepEqual(recordsOf("dual.shop.svc.cluster.local"), [
    "dual.shop.svc.cluster.local 30 A 10.96.0.40",
    "dual.shop.svc.cluster.local 30 AAAA fd00:10:96::40",
  ]);
  assert.equal(recordsOf(reverseName("fd00:10:96::40")).length, 1);
});

test("headless Service: A per ready endpoint, hostname records, SRV per endpoint, PTR", () => {
  assert.deepEqual(recordsOf("db.shop.svc.cluster.local"), [
    "db.shop.svc.cluster.local 30 A 10.244.1.5",
    "db.shop.svc.cluster.local 30 A 10.244.1.7",
    "db.shop.svc.cluster.local 30 A 10.244.2.6",
  ]);
  // Explicit endpoint hostname, the Pod's hostname+subdomain, and the dashed address.
  assert.deepEqual(recordsOf("db-0.db.shop.svc.cluster.local"), [
    "db-0.db.shop.svc.cluster.local 30 A 10.244.1.5",
  ]);
  assert.deepEqual(recordsOf("db-1.db.shop.svc.cluster.local"), [
    "db-1.db.shop.svc.cluster.local 30 A 10.244.2.6",
  ]);
  assert.deepEqual(recordsOf("10-244-1-7.db.shop.svc.cluster.local"), [
    "10-244-1-7.db.shop.svc.cluster.local 30 A 10.244.1.7",
  ]);
  // The not-ready endpoint has no records at all.
  assert.deepEqual(recordsOf("db-3.db.shop.svc.cluster.local"), []);
  assert.deepEqual(recordsOf("8.2.244.10.in-addr.arpa"), []);
  assert.deepEqual(recordsOf("_pg._tcp.db.shop.svc.cluster.local"), [
    "_pg._tcp.db.shop.svc.cluster.local 30 SRV 0 33 5432 10-244-1-7.db.shop.svc.cluster.local",
    "_pg._tcp.db.shop.svc.cluster.local 30 SRV 0 33 5432 db-0.db.shop.svc.cluster.local",
    "_pg._tcp.db.shop.svc.cluster.local 30 SRV 0 33 5432 db-1.db.shop.svc.cluster.local",
  ]);
  assert.deepEqual(recordsOf("5.1.244.10.in-addr.arpa"), [
    "5.1.244.10.in-addr.arpa 30 PTR db-0.db.shop.svc.cluster.local",
  ]);
});

test("headless Service with only not-ready endpoints has no records; publishNotReadyAddresses publishes them", () => {
  assert.deepEqual(recordsOf("empty.shop.svc.cluster.local"), []);
  const state = sampleState();
  state.services = [
    service("shop", "empty", {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      ports: [{ name: "x", port: 1 }],
    }),
  ];
  assert.deepEqual(
    show(records(state, opts)).filter((l) => l.startsWith("empty.")),
    ["empty.shop.svc.cluster.local 30 A 10.244.1.9"],
  );
});

test("ExternalName: CNAME to the canonical external name", () => {
  assert.deepEqual(recordsOf("ext.shop.svc.cluster.local"), [
    "ext.shop.svc.cluster.local 30 CNAME www.example.com",
  ]);
});

test("Service with no endpoints keeps its ClusterIP record; unallocated Service has none", () => {
  assert.deepEqual(recordsOf("lonely.shop.svc.cluster.local"), [
    "lonely.shop.svc.cluster.local 30 A 10.96.0.30",
  ]);
  const state = {
    services: [service("shop", "new", { type: "ClusterIP", ports: [{ name: "a", port: 1 }] })],
    endpointSlices: [],
    pods: [],
  };
  assert.deepEqual(
    show(records(state, opts)).filter((l) => l.includes("new.")),
    [],
  );
});

test("dns-version TXT 1.1.0, apex NS and its address from kube-dns", () => {
  assert.deepEqual(recordsOf("dns-version.cluster.local"), ["dns-version.cluster.local 30 TXT 1.1.0"]);
  assert.deepEqual(recordsOf("cluster.local"), ["cluster.local 30 NS ns.dns.cluster.local"]);
  assert.deepEqual(recordsOf("ns.dns.cluster.local"), ["ns.dns.cluster.local 30 A 10.96.0.10"]);
});

test("mixed-case names and a custom domain are canonicalised; FQDN slices are ignored", () => {
  const state = {
    services: [service("Shop", "Web", { clusterIP: "None" })],
    endpointSlices: [
      slice("Shop", "Web", "a", [{ ip: "10.0.0.1", hostname: "Pet" }], [{ name: "HTTP", port: 80 }]),
      slice("Shop", "Web", "b", [{ ip: "example.com" }], [], "FQDN"),
    ],
    pods: [],
  };
  assert.deepEqual(
    show(records(state, { domain: "corp.example", ttl: 5 })).filter((l) => !l.startsWith("dns-version")),
    [
      "1.0.0.10.in-addr.arpa 5 PTR pet.web.shop.svc.corp.example",
      "_http._tcp.web.shop.svc.corp.example 5 SRV 0 100 80 pet.web.shop.svc.corp.example",
      "corp.example 5 NS ns.dns.corp.example",
      "pet.web.shop.svc.corp.example 5 A 10.0.0.1",
      "web.shop.svc.corp.example 5 A 10.0.0.1",
    ],
  );
});
