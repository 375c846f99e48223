/**
 * The cluster DNS server on a loopback address for integration tests, fed by an in-process
 * store holding src/dns/testdata's sample cluster, plus `dig` (bind9-dnsutils) run as a
 * user would and its output read back: status, flags, and the records of each section.
 */
import { execFile } from "node:child_process";
import { Store } from "../../src/cluster/store.js";
import { Forwarder, type Upstream } from "../../src/dns/forward.js";
import { QueryHandler } from "../../src/dns/handler.js";
import { type DnsServer, startDnsServer } from "../../src/dns/server.js";
import { ZoneSync } from "../../src/dns/sync.js";
import { DOMAIN, sampleState } from "../../src/dns/testdata.js";
import { Zone } from "../../src/dns/zone.js";

export interface ClusterDns {
  store: Store;
  zone: Zone;
  sync: ZoneSync;
  handler: QueryHandler;
  server: DnsServer;
  address: string;
  close(): Promise<void>;
}

export async function startClusterDns(
  address: string,
  opts: {
    upstreams?: Upstream[];
    sync?: boolean;
    timeoutMs?: number;
    maxInflight?: number;
    tcpIdleMs?: number;
  } = {},
): Promise<ClusterDns> {
  const store = new Store();
  const s = sampleState();
  for (const o of [...s.namespaces, ...s.services, ...s.endpointSlices, ...s.pods]) store.apply(o);
  const zone = new Zone(DOMAIN, 30);
  const sync = new ZoneSync(store, zone);
  if (opts.sync !== false) sync.start();
  const forwarder = new Forwarder({
    servers: opts.upstreams ?? [],
    timeoutMs: opts.timeoutMs ?? 1000,
    maxInflight: opts.maxInflight,
  });
  const handler = new QueryHandler({ zone, ready: () => sync.ready, forwarder });
  handler.onInternalError = (err) => console.error("dns internal error:", err);
  const server = await startDnsServer({ handler, listen: { address, port: 0 }, tcpIdleMs: opts.tcpIdleMs });
  return {
    store,
    zone,
    sync,
    handler,
    server,
    address,
    close: async () => {
      sync.stop();
      await server.close();
    },
  };
}

export interface DigResult {
  status: string;
  flags: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  raw: string;
}

/** `dig @address -p port ARGS` with short timeouts; records as "name ttl class type data". */
export function dig(address: string, port: number, args: string[]): Promise<DigResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "dig",
      [`@${address}`, "-p", String(port), "+time=2", "+tries=1", "+nocookie", ...args],
      { timeout: 15_000 },
      (err, stdout) => {
        if (err && !stdout) return reject(err);
        resolve(parseDig(stdout));
      },
    );
  });
}

function parseDig(out: string): DigResult {
  const status = /status: ([A-Z]+)/.exec(out)?.[1] ?? "";
  const flags = (/;; flags: ([a-z ]+);/.exec(out)?.[1] ?? "").trim().split(" ").filter(Boolean);
  const sections: Record<string, string[]> = { ANSWER: [], AUTHORITY: [], ADDITIONAL: [] };
  let current: string[] | undefined;
  for (const line of out.split("\n")) {
    const head = /^;; (ANSWER|AUTHORITY|ADDITIONAL) SECTION:/.exec(line);
    if (head) {
      current = sections[head[1]!];
      continue;
    }
    if (!line.trim() || line.startsWith(";")) {
      if (!line.trim()) current = undefined;
      continue;
    }
    current?.push(line.trim().split(/\s+/).join(" "));
  }
  return {
    status,
    flags,
    answer: sections.ANSWER!,
    authority: sections.AUTHORITY!,
    additional: sections.ADDITIONAL!,
    raw: out,
  };
}
