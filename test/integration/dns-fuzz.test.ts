/**
 * Robustness: 10,000 random and mutated packets (UDP datagrams and TCP frames, including
 * half frames, absurd lengths and silent connections) against the cluster DNS server on
 * 127.0.53.7, forwarding to a real Knot upstream. The server must not crash, throw inside
 * (internalErrors stays 0), hang (a good query is answered right after the storm), or leak
 * (forwards in flight and TCP connections return to 0; heap growth stays small).
 */
import assert from "node:assert/strict";
import dgram from "node:dgram";
import net from "node:net";
import { after, before, test } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import dnsPacket from "dns-packet";
import { type ClusterDns, startClusterDns } from "./dns-fixture.js";
import { type Knot, startKnot } from "./knot-fixture.js";

const ADDR = "127.0.53.7";
let knot: Knot;
let dns: ClusterDns;

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

let seed = 20240601;
function rand(n: number): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed % n;
}
function randomBytes(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rand(256);
  return b;
}

const NAMES = [
  "web.shop.svc.cluster.local",
  "_pg._tcp.db.shop.svc.cluster.local",
  "db.shop.svc.cluster.local",
  "10-244-1-5.shop.pod.cluster.local",
  "20.0.96.10.in-addr.arpa",
  "www.example.test",
  "nope.example.test",
  "cluster.local",
  "ext.shop.svc.cluster.local",
];
const TYPES = ["A", "AAAA", "SRV", "PTR", "TXT", "SOA", "NS", "ANY", "CNAME"] as const;

function validQuery(): Buffer {
  return dnsPacket.encode({
    type: "query",
    id: rand(65536),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: NAMES[rand(NAMES.length)]!, type: TYPES[rand(TYPES.length)] as "A" }],
    additionals:
      rand(2) === 0
        ? [
            {
              name: ".",
              type: "OPT",
              udpPayloadSize: rand(5000),
              extendedRcode: 0,
              ednsVersion: rand(3) === 0 ? 1 : 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ]
        : [],
  });
}

function mutate(b: Buffer): Buffer {
  const out = Buffer.from(b);
  switch (rand(7)) {
    case 0: // flip bytes
      for (let i = rand(6) + 1; i > 0; i--) out[rand(out.length)] = rand(256);
      return out;
    case 1: // truncate
      return out.subarray(0, rand(out.length));
    case 2: // garbage tail
      return Buffer.concat([out, randomBytes(rand(300))]);
    case 3: // absurd section counts
      out.writeUInt16BE(rand(65536), 4 + 2 * rand(4));
      return out;
    case 4: // a compression pointer somewhere in the name, possibly a loop
      if (out.length > 14) out.writeUInt16BE(0xc000 | rand(out.length), 12 + rand(out.length - 14));
      return out;
    case 5: // label length out of range
      if (out.length > 12) out[12] = 64 + rand(192);
      return out;
    default: // opcode/flags soup
      out.writeUInt16BE(rand(65536), 2);
      return out;
  }
}

function packet(i: number): Buffer {
  const k = i % 10;
  if (k < 2) return randomBytes(rand(600));
  if (k < 3) return validQuery();
  return mutate(validQuery());
}

before(async () => {
  knot = await startKnot("127.0.53.8", {
    "example.test":
      "$ORIGIN example.test.\n$TTL 300\n@ SOA ns admin 1 3600 600 86400 300\n@ NS ns\nns A 127.0.53.8\nwww A 192.0.2.1\n",
  });
  dns = await startClusterDns(ADDR, {
    upstreams: [{ ip: knot.address, port: knot.port }],
    timeoutMs: 500,
    tcpIdleMs: 500,
  });
});
after(async () => {
  await dns?.close();
  await knot?.stop();
});

function askOnce(port: number): Promise<boolean> {
  const sock = dgram.createSocket("udp4");
  const q = dnsPacket.encode({
    type: "query",
    id: 77,
    questions: [{ name: "web.shop.svc.cluster.local", type: "A" }],
  });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sock.close();
      resolve(false);
    }, 1000);
    sock.on("message", (m) => {
      const r = dnsPacket.decode(m);
      clearTimeout(timer);
      sock.close();
      resolve(r.id === 77 && (r.answers?.[0] as { data?: string } | undefined)?.data === "10.96.0.20");
    });
    sock.send(q, port, ADDR);
  });
}

test("10,000 random and mutated packets: no crash, no internal error, no hang, no leak", {
  timeout: 120_000,
}, async () => {
  const port = dns.server.port;
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const client = dgram.createSocket("udp4");
  client.on("message", () => {});
  await new Promise<void>((r) => client.bind(0, "127.0.0.1", r));
  const UDP_COUNT = 9000;
  for (let i = 0; i < UDP_COUNT; i++) {
    client.send(packet(i), port, ADDR);
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 1));
  }
  // 1,000 over TCP: well-framed packets, half frames, lying lengths, silent peers.
  const conns: net.Socket[] = [];
  for (let c = 0; c < 100; c++) {
    const s = net.connect({ host: ADDR, port });
    s.on("error", () => {});
    conns.push(s);
    for (let j = 0; j < 10; j++) {
      const p = packet(c * 10 + j);
      const len = Buffer.alloc(2);
      const style = rand(6);
      len.writeUInt16BE(style === 0 ? rand(65536) : p.length);
      s.write(
        style === 1 ? Buffer.concat([len, p]).subarray(0, rand(p.length + 2)) : Buffer.concat([len, p]),
      );
    }
    if (c % 3 === 0) s.end();
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(await askOnce(port), "a good query right after the storm was not answered");
  for (const s of conns) s.destroy();
  client.close();
  // Everything drains: forwards finish, idle/closed TCP connections go away.
  const deadline = Date.now() + 10_000;
  while (
    (dns.handler.stats().forwardsInFlight > 0 || dns.server.tcpConnections() > 0) &&
    Date.now() < deadline
  )
    await new Promise((r) => setTimeout(r, 50));
  const stats = dns.handler.stats();
  assert.equal(stats.forwardsInFlight, 0);
  assert.equal(dns.server.tcpConnections(), 0);
  assert.equal(stats.internalErrors, 0);
  assert.ok(stats.queries >= 9000, `only ${stats.queries} packets reached the server`);
  gc();
  const grown = process.memoryUsage().heapUsed - heapBefore;
  assert.ok(grown < 40 * 1024 * 1024, `heap grew by ${(grown / 1048576).toFixed(1)} MiB`);
  assert.ok(await askOnce(port));
});
