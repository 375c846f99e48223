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
