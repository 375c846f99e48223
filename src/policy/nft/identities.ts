/**
 * Peer identities of one node: the classes of addresses that no policy rule applying to the
 * node's pods can tell apart, numbered so a packet's peer is one small integer (carried in
 * the connection's ct mark) and each rule becomes a few elements per identity instead of one
 * per peer pod or address.
 *
 * Every peer of every relevant rule is an "atom" (`policy|direction|rule|peer`); an egress
 * rule without peers but with named ports gets the atom `...|*` (every pod: a named port
 * only ever matches a pod). A pod's signature is the set of atoms whose pod set (from the
 * compiled IR, selectors and ipBlocks alike) contains it, plus, for names used by egress
 * rules, the number each named port resolves to on it (egress named ports resolve on the
 * destination). Addresses that are no pod get the signature of their ipBlock atoms: the IPv4
 * space is cut at every ipBlock boundary (cidr minus excepts) into ranges. Equal signature,
 * equal identity. Identity 0 is the empty signature (a peer no rule names).
 *
 * Signatures are lists of small integers (atoms numbered in a canonical order, so lists are
 * built sorted). Ids are stable without remembering signatures: a class takes the id its
 * addresses had in the previous allocation (the most common one among its members, when
 * nobody took it first), new classes the smallest free ids; so a change renumbers only the
 * classes it splits or creates, and the nft transaction stays small. Pure.
 */
import { formatIp, parseIp } from "../../ipam/cidr.js";
import { indices } from "../bitset.js";
import type { PolicyModel } from "../model.js";
import type { CompiledPeer, CompiledPolicy, CompiledRule, Direction, Protocol } from "../types.js";

const V4_MAX = 2 ** 32 - 1;

/** A rule of a policy that isolates one of the node's pods. */
export interface RuleUse {
  policy: CompiledPolicy;
  direction: Direction;
  rule: CompiledRule;
  /** "namespace/name|direction|index". */
  key: string;
}

export interface Region {
  from: number;
  to: number;
  id: number;
}

export interface PeerIdentities {
  /** Address ranges covering all of IPv4, sorted, adjacent ranges of one id merged. */
  regions: Region[];
  /** Pod IPv4 address -> id, for pods whose identity is not their address range's. */
  podIds: Map<string, number>;
  /** Atom -> the ids whose signature contains it, ascending. */
  withAtom: Map<string, number[]>;
  /** Id -> "name/PROTO" -> the number that named port resolves to on its pods. */
  namedPorts: Map<number, Map<string, number>>;
  /** How many identities (id 0 included). */
  count: number;
}

export function atomKey(use: RuleUse, peer: number | "*"): string {
  return `${use.key}|${peer}`;
}

export const namedPortKey = (name: string, protocol: Protocol) => `${name}/${protocol}`;

/** The first IPv4 address of a pod, as uint32, or undefined. */
export function podV4(ips: readonly string[]): number | undefined {
  for (const text of ips) {
    const ip = parseIp(text);
    if (ip.family === 4) return Number(ip.value);
  }
  return undefined;
}

export const formatV4 = (v: number) => formatIp(4, BigInt(v));

/** The IPv4 ranges an ipBlock peer stands for: its cidr minus every except. */
export function blockRanges(peer: Extract<CompiledPeer, { kind: "ipBlock" }>): Array<[number, number]> {
  if (peer.cidr.family !== 4) return [];
  const span = (c: { network: bigint; prefix: number }): [number, number] => {
    const lo = Number(c.network);
    return [lo, lo + 2 ** (32 - c.prefix) - 1];
  };
  let out: Array<[number, number]> = [span(peer.cidr)];
  for (const ex of peer.except) {
    if (ex.family !== 4) continue;
    const [xlo, xhi] = span(ex);
    out = out.flatMap(([lo, hi]): Array<[number, number]> => {
      if (xhi < lo || xlo > hi) return [[lo, hi]];
      const parts: Array<[number, number]> = [];
      if (xlo > lo) parts.push([lo, xlo - 1]);
      if (xhi < hi) parts.push([xhi + 1, hi]);
      return parts;
    });
  }
  return out;
}

/** Every rule of every policy isolating a pod of `node` (with an IPv4 address), once. */
export function localRules(model: PolicyModel, node: string): { local: number[]; rules: RuleUse[] } {
  const u = model.universe;
  const local: number[] = [];
  const seen = new Map<string, RuleUse>();
  u.pods.forEach((pod, i) => {
    if (pod.node !== node || podV4(pod.ips) === undefined) return;
    local.push(i);
    for (const direction of ["ingress", "egress"] as const) {
      for (const policy of model.policiesFor(i, direction)) {
        for (const rule of policy[direction] ?? []) {
          const key = `${policy.key}|${direction}|${rule.index}`;
          if (!seen.has(key)) seen.set(key, { policy, direction, rule, key });
        }
      }
    }
  });
  return { local, rules: [...seen.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
}

/** The id an address had in an allocation. */
export function idOf(ident: PeerIdentities, ip: number): number {
  return ident.podIds.get(formatV4(ip)) ?? regionIdOf(ident, ip);
}

/** The id of the address range holding `ip` (what an address that is no pod gets). */
export function regionIdOf(ident: PeerIdentities, ip: number): number {
  const r = ident.regions;
  let lo = 0;
  let hi = r.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (r[mid]!.from <= ip) lo = mid;
    else hi = mid - 1;
  }
  return r[lo]?.id ?? 0;
}

interface Klass {
  sig: number[];
  /** Addresses of the class (pod IPs, range starts) with how much each weighs. */
  members: Array<{ ip: number; weight: number; pod: boolean }>;
  id: number;
}

export function peerIdentities(
  model: PolicyModel,
  rules: readonly RuleUse[],
  previous?: PeerIdentities,
): PeerIdentities {
  const u = model.universe;
  // Parts: atoms first (in rule order), then named-port numbers, as small integers.
  const parts: string[] = [];
  const podParts: number[][] = u.pods.map(() => []);
  const cuts: Array<{ at: number; part: number; delta: 1 | -1 }> = [];
  const names = new Map<string, { name: string; protocol: Protocol }>();
  for (const use of rules) {
    const { rule } = use;
    const named = (rule.ports ?? []).filter((p) => p.kind === "named");
    if (use.direction === "egress")
      for (const p of named)
        names.set(namedPortKey(p.name, p.protocol), { name: p.name, protocol: p.protocol });
    if (rule.peers === null) {
      if (use.direction === "egress" && named.length > 0) {
        const part = parts.push(atomKey(use, "*")) - 1;
        for (const i of indices(u.withIp)) podParts[i]!.push(part);
      }
      continue;
    }
    for (const peer of rule.peers) {
      const part = parts.push(atomKey(use, peer.index)) - 1;
      for (const i of indices(peer.pods)) podParts[i]!.push(part);
      if (peer.kind === "ipBlock") {
        for (const [lo, hi] of blockRanges(peer)) {
          cuts.push({ at: lo, part, delta: 1 });
          if (hi < V4_MAX) cuts.push({ at: hi + 1, part, delta: -1 });
        }
      }
    }
  }
  const atomCount = parts.length;
  for (const [key, { name, protocol }] of names) {
    const byPort = new Map<number, number>();
    u.pods.forEach((pod, i) => {
      const port = pod.namedPorts.find((p) => p.name === name && p.protocol === protocol)?.port;
      if (port === undefined) return;
      let part = byPort.get(port);
      if (part === undefined) {
        part = parts.push(`${key}=${port}`) - 1;
        byPort.set(port, part);
      }
      podParts[i]!.push(part);
    });
  }

  // Address ranges: sweep the cuts, one range per stretch of equal active atoms.
  cuts.sort((a, b) => a.at - b.at);
  const active = new Map<number, number>();
  const raw: Array<{ from: number; to: number; sig: number[]; key: string }> = [];
  let start = 0;
  for (let k = 0; k <= cuts.length; k++) {
    const at = k < cuts.length ? cuts[k]!.at : V4_MAX + 1;
    if (at > start) {
      const sig = [...active.keys()].sort((a, b) => a - b);
      const key = sig.join(",");
      const last = raw[raw.length - 1];
      if (last && last.key === key) last.to = at - 1;
      else raw.push({ from: start, to: at - 1, sig, key });
      start = at;
    }
    if (k < cuts.length) {
      const c = cuts[k]!;
      const n = (active.get(c.part) ?? 0) + c.delta;
      if (n > 0) active.set(c.part, n);
      else active.delete(c.part);
    }
  }
  const regionAt = (v: number) => {
    let lo = 0;
    let hi = raw.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (raw[mid]!.from <= v) lo = mid;
      else hi = mid - 1;
    }
    return raw[lo]!;
  };

  // Classes: every distinct signature of a range or of a pod that differs from its range's.
  const classes = new Map<string, Klass>();
  const klass = (key: string, sig: number[]) => {
    let c = classes.get(key);
    if (!c) {
      c = { sig, members: [], id: -1 };
      classes.set(key, c);
    }
    return c;
  };
  for (const r of raw)
    klass(r.key, r.sig).members.push({ ip: r.from, weight: r.to - r.from + 1, pod: false });
  const podClass = new Map<number, Klass>();
  u.pods.forEach((pod, i) => {
    const ip = podV4(pod.ips);
    if (ip === undefined) return;
    const key = podParts[i]!.join(",");
    if (key === regionAt(ip).key) return;
    const c = klass(key, podParts[i]!);
    c.members.push({ ip, weight: 1, pod: true });
    podClass.set(ip, c);
  });

  // Stable ids: the empty signature is 0; a class keeps its members' previous id.
  const taken = new Set<number>([0]);
  const empty = classes.get("");
  if (empty) empty.id = 0;
  const ordered = [...classes.entries()]
    .filter(([key]) => key !== "")
    .sort(([a, x], [b, y]) => y.members.length - x.members.length || (a < b ? -1 : a > b ? 1 : 0))
    .map(([, c]) => c);
  if (previous) {
    for (const c of ordered) {
      const votes = new Map<number, number>();
      for (const m of c.members) {
        const id = m.pod ? idOf(previous, m.ip) : regionIdOf(previous, m.ip);
        votes.set(id, (votes.get(id) ?? 0) + m.weight);
      }
      const best = [...votes].filter(([id]) => !taken.has(id)).sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
      if (best) {
        c.id = best[0];
        taken.add(best[0]);
      }
    }
  }
  let next = 1;
  for (const c of ordered) {
    if (c.id >= 0) continue;
    while (taken.has(next)) next++;
    c.id = next;
    taken.add(next);
  }

  const withAtom = new Map<string, number[]>();
  const namedPorts = new Map<number, Map<string, number>>();
  for (const c of classes.values()) {
    for (const part of c.sig) {
      if (part < atomCount) {
        const list = withAtom.get(parts[part]!);
        if (list) list.push(c.id);
        else withAtom.set(parts[part]!, [c.id]);
      } else {
        const [key, port] = parts[part]!.split("=") as [string, string];
        let m = namedPorts.get(c.id);
        if (!m) {
          m = new Map();
          namedPorts.set(c.id, m);
        }
        m.set(key, Number(port));
      }
    }
  }
  for (const list of withAtom.values()) list.sort((a, b) => a - b);
  const regions: Region[] = [];
  for (const r of raw) {
    const id = classes.get(r.key)!.id;
    const last = regions[regions.length - 1];
    if (last && last.id === id) last.to = r.to;
    else regions.push({ from: r.from, to: r.to, id });
  }
  const podIds = new Map([...podClass].map(([ip, c]) => [formatV4(ip), c.id] as const));
  return { regions, podIds, withAtom, namedPorts, count: classes.size + (empty ? 0 : 1) };
}
