/**
 * Waiting for NetworkPolicy enforcement on a live lab: every node's policy table carries, in
 * its `synced` set, the store resourceVersion it reflects, so a test that applied policies
 * waits until each node reached the newest NetworkPolicy's version instead of sleeping.
 */
import { flatnet, flatnetOk } from "./cli.js";

interface Item {
  metadata: { name: string; resourceVersion: string };
}

export async function waitEnforced(lab: string, timeoutMs = 30_000): Promise<void> {
  const list = async (kind: string) =>
    (JSON.parse(await flatnetOk(["get", kind, "-A", "-o", "json", "--name", lab])) as { items: Item[] })
      .items;
  const want = Math.max(0, ...(await list("networkpolicies")).map((p) => Number(p.metadata.resourceVersion)));
  const deadline = Date.now() + timeoutMs;
  for (const node of (await list("nodes")).map((n) => n.metadata.name)) {
    for (;;) {
      const r = await flatnet([
        "exec",
        "--node",
        node,
        "--name",
        lab,
        "--",
        "nft",
        "-j",
        "list",
        "set",
        "inet",
        "flatnet-policy",
        "synced",
      ]);
      const set =
        r.code === 0
          ? (JSON.parse(r.stdout) as { nftables: Array<{ set?: { elem?: number[] } }> })
          : undefined;
      const have = set?.nftables.find((x) => x.set)?.set?.elem?.[0] ?? 0;
      if (have >= want) break;
      if (Date.now() > deadline)
        throw new Error(`${node}: policy table not synced to version ${want} (has ${have}): ${r.stderr}`);
      await new Promise((res) => setTimeout(res, 100));
    }
  }
}

/**
 * Forgets every node's UDP conntrack entries. NetworkPolicy judges new connections; for
 * conntrack a UDP flow lives on for 30 s after its last packet (120 s once it has seen
 * traffic both ways), and a UDP probe whose kernel-chosen source port happens to repeat the
 * one an earlier probe used to the same peer joins that old, allowed flow instead of opening
 * a new one (one in a few runs of the 20 conformance cases hit this). Matrices that compare
 * the datapath with the analyzer after a policy change start from no UDP flows.
 */
export async function forgetUdpFlows(lab: string): Promise<void> {
  const nodes = (
    JSON.parse(await flatnetOk(["get", "nodes", "-o", "json", "--name", lab])) as { items: Item[] }
  ).items.map((n) => n.metadata.name);
  for (const node of nodes) {
    const r = await flatnet(["exec", "--node", node, "--name", lab, "--", "conntrack", "-D", "-p", "udp"]);
    // conntrack exits 1 when there was nothing to delete; anything else is a failure.
    if (r.code !== 0 && !/0 flow entries have been deleted/.test(r.stderr)) {
      throw new Error(`${node}: conntrack -D -p udp failed (${r.code}): ${r.stderr}`);
    }
  }
}
