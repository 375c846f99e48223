/**
 * flatnet's side of the proxy benchmark: a ServiceProxy fed from an in-process store of
 * synthetic Services and programming a scratch node namespace, with every transaction it
 * sends timed; and single endpoint changes timed from the store update to the kernel commit.
 */
import { Store } from "../../src/cluster/store.js";
import { run } from "../../src/kernel/exec.js";
import { ConntrackTool } from "../../src/proxy/conntrack.js";
import { NftProxyTable, type ProxyTable } from "../../src/proxy/nft.js";
import { ServiceProxy } from "../../src/proxy/proxier.js";
import { DEFAULT_MASQUERADE_MARK, PROXY_TABLE } from "../../src/proxy/ruleset.js";
import { PROXY_NODE, type SyntheticService, serviceObject, sliceObjects } from "./cluster.js";
import { nftTimed } from "./nft-cpu.js";
import type { BenchTopology } from "./topology.js";

export const CLUSTER_CIDR = "10.244.0.0/16";
const config = {
  table: PROXY_TABLE,
  clusterCIDR: CLUSTER_CIDR,
  serviceCIDR: "10.96.0.0/12",
  masqueradeMark: DEFAULT_MASQUERADE_MARK,
};

const ms = (t0: number) => performance.now() - t0;
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

/**
 * Times each transaction the proxy sends. A full sync's structure (it starts with the table)
 * and big scripts go through nftTimed for nft's CPU time too; small ones (single changes) run
 * plain, so a shell's start-up does not pad the change latency. Element replacements (the
 * full sync's nfnetlink transaction) are timed with this process's CPU time, which includes
 * the encoding and the kernel's work on the sending thread.
 */
export class TimedTable implements ProxyTable {
  readonly applies: Array<{ ms: number; cpuMs: number; bytes: number; start: number }> = [];
  readonly replacements: Array<{ ms: number; cpuMs: number; elements: number; end: number }> = [];
  private readonly reader: NftProxyTable;
  constructor(private readonly netns: string) {
    this.reader = new NftProxyTable(netns, PROXY_TABLE);
  }
  async apply(script: string): Promise<void> {
    if (script === "") return;
    if (script.length > 64 * 1024 || script.startsWith("add table ")) {
      const start = performance.now();
      const t = await nftTimed(this.netns, script, 300_000);
      this.applies.push({ ...t, bytes: script.length, start });
      return;
    }
    const t0 = performance.now();
    await this.reader.apply(script);
    this.applies.push({ ms: ms(t0), cpuMs: Number.NaN, bytes: script.length, start: t0 });
  }
  async replaceElements(
    sets: Map<string, Array<{ key: string; value?: string }>>,
    after?: Promise<unknown>,
  ): Promise<void> {
    // Timed from the call: the encoding overlaps the structure's nft run, as in production.
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await this.reader.replaceElements(sets, after);
    const c = process.cpuUsage(c0);
    let elements = 0;
    for (const items of sets.values()) elements += items.length;
    this.replacements.push({
      ms: ms(t0),
      cpuMs: (c.user + c.system) / 1000,
      elements,
      end: performance.now(),
    });
  }
  objects() {
    return this.reader.objects();
  }
  listElements(name: string) {
    return this.reader.listElements(name);
  }
}

/** A proxy for `services` on the topology's node, started (its first full sync done). */
export async function startOurs(topo: BenchTopology, services: SyntheticService[], log: (m: string) => void) {
  const store = new Store();
  for (const s of services) {
    store.apply(serviceObject(s));
    for (const sl of sliceObjects(s)) store.apply(sl);
  }
  const table = new TimedTable(topo.node);
  const proxy = new ServiceProxy({
    source: store,
    node: PROXY_NODE,
    config,
    table,
    conntrack: new ConntrackTool(topo.node),
    log,
  });
  const t0 = performance.now();
  await proxy.start();
  return { store, proxy, table, fullMs: ms(t0) };
}

export type Ours = Awaited<ReturnType<typeof startOurs>>;

/** Replace endpoint `slot` of service `i` by a fresh address. */
export function changed(s: SyntheticService, slot: number, serial: number): SyntheticService {
  const endpoints = [...s.endpoints];
  endpoints[slot] = { ...endpoints[slot]!, ip: `10.200.${(serial >> 8) & 255}.${serial & 255}` };
  return { ...s, endpoints };
}

/** `changes` single endpoint changes, each from the store update to the kernel commit. */
export async function endpointChanges(
  ours: Ours,
  fillers: SyntheticService[],
  size: number,
  changes: number,
  endpointsPerService: number,
  topo: BenchTopology,
): Promise<{ samples: number[]; elementsPerChange: number }> {
  const samples: number[] = [];
  let elements = 0;
  for (let k = 0; k < changes; k++) {
    const i = (k * 7919) % size;
    const next = changed(fillers[i]!, k % endpointsPerService, k + 1);
    const t0 = performance.now();
    ours.store.apply(sliceObjects(next)[0]!);
    await ours.proxy.settled();
    samples.push(ms(t0));
    elements += ours.proxy.history.at(-1)?.changes ?? 0;
    fillers[i] = next;
    await sleep(120);
  }
  const last = fillers[((changes - 1) * 7919) % size]!.endpoints[(changes - 1) % endpointsPerService]!.ip;
  const listed = await run(["nft", "list", "map", "ip", PROXY_TABLE, "cluster-endpoints-tcp"], {
    netns: topo.node,
  });
  if (!listed.includes(last)) throw new Error(`the last change (${last}) is not in the kernel`);
  return { samples, elementsPerChange: elements / changes };
}
