/**
 * What differs, as the kernel reports it, between the hand-built path and flatnet's: IPv4
 * sysctls (global and per interface) and the datapath attributes of every interface (MTU,
 * queueing, GSO/GRO/TSO limits, VXLAN settings) in the namespaces a path crosses. Throughput
 * on a shared 2-CPU machine is noisy; this list is the exact account of what flatnet's
 * configuration changes, so a ratio can be read against it.
 *
 * Names are normalised (the hand-built VXLAN device is vxlan1, flatnet's flannel.1) and
 * values that differ by construction (MAC addresses, ifindexes, alias) are left out.
 */
import { run } from "../../src/kernel/exec.js";

const LINK_KEYS = [
  "mtu",
  "qdisc",
  "txqlen",
  "num_tx_queues",
  "num_rx_queues",
  "gso_max_size",
  "gso_max_segs",
  "tso_max_size",
  "tso_max_segs",
  "gro_max_size",
];

function normalise(name: string): string {
  return name.replace(/^(flannel\.1|flannel\/1|vxlan1)$/, "<vxlan>");
}

/** Flat "key = value" view of one namespace's datapath configuration. */
export async function datapathConfig(ns: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const sysctls = await run(["sysctl", "-a", "-r", "^net\\.ipv4\\.(ip_forward|conf\\.)"], { netns: ns });
  for (const line of sysctls.split("\n")) {
    const m = /^net\.ipv4\.conf\.([^.]+)\.(.+?) = (.*)$/.exec(line);
    if (m) out.set(`sysctl conf.${normalise(m[1]!)}.${m[2]}`, m[3]!);
    else if (line.startsWith("net.ipv4.ip_forward")) out.set("sysctl ip_forward", line.split(" = ")[1] ?? "");
  }
  const links = JSON.parse(await run(["ip", "-j", "-d", "link", "show"], { netns: ns })) as Record<
    string,
    unknown
  >[];
  for (const l of links) {
    const name = normalise(String(l.ifname));
    for (const k of LINK_KEYS) out.set(`link ${name} ${k}`, String(l[k]));
    const info = l.linkinfo as { info_kind?: string; info_data?: Record<string, unknown> } | undefined;
    out.set(`link ${name} kind`, info?.info_kind ?? "-");
    if (info?.info_kind === "vxlan") {
      for (const [k, v] of Object.entries(info.info_data ?? {}))
        out.set(`link ${name} vxlan.${k}`, JSON.stringify(v));
    }
  }
  return out;
}

/** The interface a key describes ("link eth0 mtu", "sysctl conf.eth0.rp_filter"), if any. */
function interfaceOf(key: string): string | undefined {
  const m = /^link (\S+) /.exec(key) ?? /^sysctl conf\.([^.]+)\./.exec(key);
  const dev = m?.[1];
  return dev === "all" || dev === "default" ? undefined : dev;
}

/**
 * Lines "where: key hand=X flatnet=Y" for every key whose values differ, comparing the
 * interfaces both sides have; an interface only one side has gets one line.
 */
export async function configDiff(where: string, handNs: string, flatnetNs: string): Promise<string[]> {
  const [hand, flat] = await Promise.all([datapathConfig(handNs), datapathConfig(flatnetNs)]);
  const devs = (m: Map<string, string>) =>
    new Set([...m.keys()].map(interfaceOf).filter((d) => d !== undefined));
  const [handDevs, flatDevs] = [devs(hand), devs(flat)];
  const lines: string[] = [];
  for (const d of [...flatDevs].filter((x) => !handDevs.has(x)).sort())
    lines.push(`${where}: interface ${d} only in flatnet's`);
  for (const d of [...handDevs].filter((x) => !flatDevs.has(x)).sort())
    lines.push(`${where}: interface ${d} only in the hand-built`);
  const shared = (k: string) => {
    const d = interfaceOf(k);
    return d === undefined || (handDevs.has(d) && flatDevs.has(d));
  };
  const keys = [...new Set([...hand.keys(), ...flat.keys()])].filter(shared).sort();
  for (const k of keys) {
    if (hand.get(k) !== flat.get(k))
      lines.push(`${where}: ${k} hand=${hand.get(k) ?? "(none)"} flatnet=${flat.get(k) ?? "(none)"}`);
  }
  return lines;
}
