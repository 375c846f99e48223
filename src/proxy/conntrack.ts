/**
 * Stale UDP conntrack entries: UDP has no connection to close, so an entry NATed to an
 * endpoint that went away keeps sending the client's packets into the void until it times out
 * (the stale-UDP bug kube-proxy users keep hitting). After a sync, for each UDP service port:
 *  - endpoints no longer used: delete entries to the VIP (or NodePort) NATed to that endpoint;
 *  - a port that had no endpoints and now has some: delete entries to the VIP (or NodePort)
 *    made meanwhile (so they are NATed afresh).
 * TCP is left alone (a reset closes it) and nothing is flushed on a full resync, so
 * established connections survive an agent restart. The plan is pure; the runner execs
 * `conntrack -D` in the node's namespace ("0 flow entries" is not an error).
 */
import { CommandError, run } from "../kernel/exec.js";
import type { Element } from "./elements.js";

export interface ConntrackDeletion {
  /** Original destination: a ClusterIP, or undefined for a NodePort on any local address. */
  origDst?: string;
  port: number;
  /** Delete only entries DNATed to this endpoint address. */
  dnatTo?: string;
}

/** UDP targets of an owner's elements: "vip . port" or "nodeport" -> endpoint addresses. */
function udpTargets(elements: Element[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (target: string, ep: string) => {
    let s = out.get(target);
    if (!s) {
      s = new Set();
      out.set(target, s);
    }
    s.add(ep);
  };
  for (const el of elements) {
    const ep = el.value?.split(" . ")[0];
    if (!ep) continue;
    const f = el.key.split(" . ");
    if (el.set === "cluster-endpoints-udp") add(`${f[0]} . ${f[1]}`, ep);
    else if (el.set === "nodeport-endpoints-udp") add(f[0]!, ep);
  }
  return out;
}

function target(t: string): { origDst?: string; port: number } {
  const f = t.split(" . ");
  return f.length === 2 ? { origDst: f[0]!, port: Number(f[1]) } : { port: Number(f[0]) };
}

export function staleUdpEntries(before: Element[], after: Element[]): ConntrackDeletion[] {
  const old = udpTargets(before);
  const now = udpTargets(after);
  const out: ConntrackDeletion[] = [];
  for (const [t, eps] of old) {
    const still = now.get(t);
    for (const ep of [...eps].sort()) if (!still?.has(ep)) out.push({ ...target(t), dnatTo: ep });
  }
  for (const t of now.keys()) if (!old.has(t)) out.push(target(t));
  return out;
}

export interface Conntrack {
  delete(d: ConntrackDeletion): Promise<void>;
}

/** argv of `conntrack -D` for one deletion. */
export function conntrackArgs(d: ConntrackDeletion): string[] {
  const args = ["conntrack", "-D", "-p", "udp"];
  if (d.origDst) args.push("--orig-dst", d.origDst);
  args.push("--orig-port-dst", String(d.port));
  if (d.dnatTo) args.push("--dst-nat", d.dnatTo);
  return args;
}

export class ConntrackTool implements Conntrack {
  constructor(private readonly netns: string) {
    if (!netns) throw new Error("ConntrackTool needs a network namespace");
  }

  async delete(d: ConntrackDeletion): Promise<void> {
    try {
      await run(conntrackArgs(d), { netns: this.netns });
    } catch (e) {
      // conntrack exits 1 with "0 flow entries have been deleted" when nothing matched.
      if (e instanceof CommandError && /0 flow entries/.test(e.stderr)) return;
      throw e;
    }
  }
}
